"""Site profiles: a site is data, merged with its platform, checked with sentences that say what to fix."""

from __future__ import annotations

import pytest

from crawler.sites.profile import ProfileError, available_profiles, load_profile


def test_chencang_keeps_the_real_sites_urls():
    profile = load_profile("chencang")
    assert profile.origin == "http://www.chencang.gov.cn"
    assert profile.listing.paths == ("/col8173/col8174/",)
    assert profile.timezone.key == "Asia/Shanghai"
    assert [t.name for t in profile.listing.templates] == ["A", "B", "datastore"]


def test_politeness_defaults_for_the_real_site():
    settings = load_profile("chencang").settings
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY"] >= 1


def test_siblings_differ_only_in_host_and_column():
    chencang, weibin = load_profile("chencang"), load_profile("weibin")
    assert weibin.origin == "http://www.weibin.gov.cn"
    assert weibin.listing.paths == ("/col5196/col8115/",)
    assert weibin.article == chencang.article
    assert weibin.listing.templates == chencang.listing.templates


def test_the_platform_file_is_not_a_site():
    assert "baoji-platform" not in available_profiles()
    assert "chencang" in available_profiles()


def test_unknown_site_names_the_known_ones():
    with pytest.raises(ProfileError, match=r"no site profile named 'nowhere'.*chencang"):
        load_profile("nowhere")


def test_a_users_profile_directory_adds_sites(tmp_path, monkeypatch):
    (tmp_path / "fengxiang.toml").write_text(
        'name = "fengxiang"\nextends = "baoji-platform"\norigin = "http://www.fengxiang.gov.cn"\n'
        '[listing]\npaths = ["/col1/col2/"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSARCHIVE_PROFILE_PATH", str(tmp_path))
    assert load_profile("fengxiang").listing.paths == ("/col1/col2/",)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('origin = "www.example.gov.cn"\n[listing]\npaths = ["/a/"]\n', "is not an origin"),
        ('origin = "http://x.gov.cn"\n[listing]\npaths = ["a"]\n', "must start and end with '/'"),
        (
            'origin = "http://x.gov.cn"\ntimezone = "Mars/Base"\n[listing]\npaths = ["/a/"]\n',
            "not a known time zone",
        ),
        (
            'origin = "http://x.gov.cn"\n[listing]\npaths = ["/a/"]\n[article.fields]\ntitle = ["xpath://h1"]\n',
            "must be one of",
        ),
        ('origin = "http://x.gov.cn"\n[listing\n', "not valid TOML"),
    ],
)
def test_broken_profiles_say_what_to_fix(tmp_path, monkeypatch, extra, message):
    (tmp_path / "broken.toml").write_text('extends = "baoji-platform"\n' + extra, encoding="utf-8")
    monkeypatch.setenv("NEWSARCHIVE_PROFILE_PATH", str(tmp_path))
    with pytest.raises(ProfileError, match=message):
        load_profile("broken")


# The twelve Baoji county sites (docs/sites.md): the column each public source gives, or none.
COUNTIES = {
    "chencang": ("www.chencang.gov.cn", ("/col8173/col8174/",), "high"),
    "weibin": ("www.weibin.gov.cn", ("/col5196/col8115/",), "medium"),
    "jintai": ("www.jintai.gov.cn", ("/col6845/col6850/",), "medium"),
    "longxian": ("www.longxian.gov.cn", ("/col4225/col4227/",), "medium"),
    "qianyang": ("www.qianyang.gov.cn", ("/col4533/col4540/",), "medium"),
    "meixian": ("www.meixian.gov.cn", ("/col8264/",), "low"),
    "linyou": ("www.linyou.gov.cn", ("/col1571/col1574/",), "low"),
    "taibai": ("www.taibai.gov.cn", ("/col6606/col6620/",), "low"),
    "fengxian": ("www.sxfx.gov.cn", (), "none"),
    "fengxiang": ("www.fengxiang.gov.cn", (), "none"),
    "qishan": ("www.qishan.gov.cn", (), "none"),
    "fufeng": ("www.fufeng.gov.cn", (), "none"),
}


@pytest.mark.parametrize("name", sorted(COUNTIES))
def test_every_county_site_has_a_profile_with_its_evidence(name):
    host, paths, confidence = COUNTIES[name]
    profile = load_profile(name)
    assert (profile.host, profile.listing.paths, profile.confidence) == (host, paths, confidence)
    assert profile.platform == "baoji-platform" and profile.verified is False
    assert profile.evidence  # in words, for `newsarchive sites`
    assert profile.enabled == bool(paths)  # a site whose column nobody knows is not crawled
    assert f"https://{host}" in profile.aliases


def test_a_generic_host_is_polite_on_its_own():
    from crawler.sites.profile import generic_name

    first = load_profile(generic_name("http://www.baoji.gov.cn/a.html"))
    second = load_profile(generic_name("https://www.shaanxi.gov.cn/a.html"))
    assert first.platform != second.platform


def test_sites_lists_every_county_with_its_evidence_and_a_disabled_one_is_not_crawled(tmp_path):
    import json

    from tests.cli import newsarchive

    listed = newsarchive("sites", "--json")
    shown = {site["name"]: site for site in json.loads(listed.stdout)}
    assert set(shown) == set(COUNTIES)
    assert shown["meixian"]["lists"] == ["/col8264/"] and shown["meixian"]["confidence"] == "low"
    assert shown["fufeng"]["enabled"] is False and shown["fufeng"]["evidence"]
    db = tmp_path / "archive.db"
    refused = newsarchive("crawl", "fufeng", db=db)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "knows no news column of its site yet (enabled = false)" in line
    assert not db.exists()
