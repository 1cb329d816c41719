"""The SSDA903 columns of looked_after_episodes and children, and episode_postcodes."""

from __future__ import annotations

import pytest
from validate_helpers import make_return, where

from earlyhelp.validate import validate_paths

EPISODES_HEADER = (
    "la_code,child_id,start_date,reason_new_episode,legal_status,category_of_need,placement,end_date,"
    "reason_ceased,placement_provider,reason_place_change,urn\n"
)
CHILDREN_HEADER = "la_code,child_id,person_id,birth_month,sex,ethnicity,disabled,idaci_decile,family_id,mother\n"
POSTCODES_HEADER = "la_code,child_id,start_date,home_postcode,placement_postcode,mother_child_dob\n"


def _episode(provider: str = "PR4", reason: str = "", urn: str = "SC123456") -> str:
    return f"E06000001,C1,2019-08-01,S,C2,N1,K2,2019-09-01,X1,{provider},{reason},{urn}\n"


@pytest.mark.parametrize("urn", ["SC123456", "SC999999", "XXXXXXX", "EY123456", "123456", "1234567", ""])
def test_urns_ssda903_allows_pass(tmp_path, urn):
    report = validate_paths([make_return(tmp_path, {"looked_after_episodes.csv": EPISODES_HEADER + _episode(urn=urn)})])
    assert report.ok, report.summary()


@pytest.mark.parametrize("urn", ["SC12345", "sc123456", "12345", "12345678", "XXXXXX", "SC 123456"])
def test_other_urns_are_flagged_with_the_value_shown(tmp_path, urn):
    report = validate_paths([make_return(tmp_path, {"looked_after_episodes.csv": EPISODES_HEADER + _episode(urn=urn)})])
    assert where(report) == {("value-urn", "looked_after_episodes.csv", 2, "urn")}
    assert [f.value for f in report.findings] == [urn]  # a placement's URN is not a person's identifier


def test_provider_and_reason_for_change_take_the_ssda903_codes(tmp_path):
    rows = _episode("PR0", "CARPL") + _episode("PR9", "MOVED").replace("2019-08-01", "2019-09-01")
    report = validate_paths([make_return(tmp_path, {"looked_after_episodes.csv": EPISODES_HEADER + rows})])
    assert where(report) == {
        ("value-code", "looked_after_episodes.csv", 3, "placement_provider"),
        ("value-code", "looked_after_episodes.csv", 3, "reason_place_change"),
    }


def test_mother_is_true_or_false(tmp_path):
    children = (
        CHILDREN_HEADER + "E06000001,C1,,2012-05,F,WBRI,false,3,F1,true\nE06000001,C2,,2014-01,M,APKN,true,,F1,1\n"
    )
    report = validate_paths([make_return(tmp_path, {"children.csv": children})])
    assert where(report) == {("value-bool", "children.csv", 3, "mother")}


def test_episode_postcodes_masks_its_identifiers(tmp_path):
    rows = "E06000001,C1,2019-08-01,ZZ99 3AB,ZZ99 3AC,2019-02-30\nE06000001,C1,2019-08-01,ZZ99 3AB,,\n"
    report = validate_paths([make_return(tmp_path, {"episode_postcodes.csv": POSTCODES_HEADER + rows})])
    assert where(report) == {
        ("value-date", "episode_postcodes.csv", 2, "mother_child_dob"),
        ("key-duplicate", "episode_postcodes.csv", 3, "start_date"),
    }
    shown = " ".join(f"{f.message} {f.value}" for f in report.findings)
    assert "2019-02-30" not in shown
