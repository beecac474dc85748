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
