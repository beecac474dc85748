"""The mirror's fixed default reading of every traditional character it converts to."""

# Hand-made data: a traditional character then its reading, lowercase with the tone diacritic, one
# syllable. One reading per character whatever the word (長 is always zhǎng, 調 diào, 應 yīng),
# and never a toneless neutral tone (們 is mén), so every annotation carries a tone mark.
TEXT = """
萬wàn 專zhuān 業yè 東dōng 嚴yán 個gè 為wèi 麗lì 舉jǔ 義yì 習xí 鄉xiāng
書shū 產chǎn 畝mǔ 親qīn 億yì 倉cāng 儀yí 們mén 價jià 眾zhòng 優yōu 會huì
偉wěi 傳chuán 體tǐ 黨dǎng 關guān 興xīng 養yǎng 寫xiě 軍jūn 農nóng 決jué 況kuàng
凍dòng 準zhǔn 減jiǎn 鳳fèng 凱kǎi 劉liú 剛gāng 創chuàng 別bié 辦bàn 務wù 動dòng
勢shì 區qū 醫yī 華huá 協xié 單dān 衛wèi 廠chǎng 壓yā 縣xiàn 參cān 發fā
葉yè 聽tīng 吳wú 員yuán 囑zhǔ 園yuán 圍wéi 國guó 圖tú 場chǎng 堅jiān 牆qiáng
處chù 備bèi 頭tóu 奮fèn 孫sūn 學xué 寶bǎo 實shí 對duì 導dǎo 將jiāng 層céng
屆jiè 嶺lǐng 師shī 帶dài 廣guǎng 莊zhuāng 應yīng 開kāi 張zhāng 強qiáng 當dāng 態tài
總zǒng 戰zhàn 執zhí 護hù 報bào 揀jiǎn 撐chēng 斷duàn 時shí 曉xiǎo 術shù
機jī 權quán 條tiáo 來lái 楊yáng 標biāo 夢mèng 檢jiǎn 樓lóu 匯huì 濟jì 濃nóng
灣wān 濕shī 災zāi 點diǎn 燒shāo 獼mí 環huán 現xiàn 電diàn 療liáo 監jiān 碩shuò
確què 稟bǐng 稈gǎn 種zhǒng 積jī 穩wěn 籌chóu 類lèi 糧liáng 緊jǐn 紅hóng 級jí
紀jì 紛fēn 練liàn 組zǔ 細xì 織zhī 紹shào 經jīng 結jié 繞rào 統tǒng 繼jì
績jì 續xù 維wéi 綜zōng 網wǎng 職zhí 聯lián 肅sù 節jié 蘋píng 藥yào 獲huò
營yíng 裝zhuāng 見jiàn 覺jué 計jì 訓xùn 議yì 訊xùn 記jì 講jiǎng 設shè 訪fǎng
識shí 詐zhà 診zhěn 試shì 話huà 詢xún 該gāi 詳xiáng 說shuō 讀dú 調diào 諧xié
譜pǔ 負fù 財cái 責zé 賬zhàng 質zhì 賈jiǎ 資zī 賦fù 趙zhào 車chē 轟hōng
邊biān 達dá 過guò 還hái 進jìn 鄭zhèng 鏟chǎn 鏈liàn 鋒fēng 錨máo 鍵jiàn 鎮zhèn
鏡jìng 長zhǎng 門mén 問wèn 閒xián 間jiān 聞wén 閣gé 隊duì 陽yáng 階jiē 陳chén
陝shǎn 隱yǐn 難nán 頁yè 項xiàng 順shùn 預yù 領lǐng 題tí 馬mǎ 驗yàn 騙piàn
雞jī 鳴míng 麥mài
"""

READINGS = {token[0]: token[1:] for token in TEXT.split()}
