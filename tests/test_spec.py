"""The data model agrees with docs/spec/dataset.md, checked against facts read off the spec."""

from earlyhelp import spec
from earlyhelp.spec import codes


def test_every_table_of_the_spec_is_modelled():
    expected = {
        "person_identifiers",
        "episode_postcodes",
        "person_link",
        "children",
        "referrals",
        "assessments",
        "cin_plans",
        "s47_enquiries",
        "cp_plans",
        "looked_after_episodes",
        "early_help_episodes",
        "early_help_services",
        "family_goals",
        "school_attendance",
        "health_events",
        "police_notifications",
        "local_authorities",
        "population",
        "deprivation",
        "spend",
        "deflators",
        "returns",
    }
    assert set(spec.TABLES) == expected


def test_identifiers_live_only_in_the_identity_zone():
    assert {
        "nhs_number",
        "upn",
        "forename",
        "surname",
        "date_of_birth",
        "postcode",
        "home_postcode",
        "placement_postcode",
        "mother_child_dob",
    } == spec.IDENTITY_COLUMNS
    for table in spec.TABLES_IN_ORDER:
        if table.zone != "identity":
            assert not any(c.identifier for c in table.columns), table.name


def test_ssda903_columns_as_the_spec_gives_them():
    assert spec.table("episode_postcodes").zone == "identity"
    assert spec.table("episode_postcodes").column_names == (
        "la_code",
        "child_id",
        "start_date",
        "home_postcode",
        "placement_postcode",
        "mother_child_dob",
    )
    episodes = spec.table("looked_after_episodes")
    assert episodes.column("placement_provider").codes == tuple(f"PR{i}" for i in range(6))
    assert len(episodes.column("reason_place_change").codes or ()) == 12
    assert not any(episodes.column(c).required for c in ("placement_provider", "reason_place_change", "urn"))
    assert spec.table("children").column("mother").type == "bool"


def test_codes_match_the_spec_text():
    assert spec.table("referrals").column("closure_reason").codes == tuple(f"RC{i}" for i in range(1, 10))
    assert len(codes.OUTCOME_HEADING) == 10
    assert spec.table("family_goals").column("start_score").maximum == 10
    assert spec.table("early_help_episodes").column("end_date").required is False
    assert spec.table("early_help_episodes").column("start_date").required is True


def test_folder_reads_typed_views_with_missing_optional_columns(tmp_path):
    import duckdb

    from earlyhelp.validate.folder import EHLDFolder

    (tmp_path / "early_help_episodes.csv").write_text(
        "la_code,child_id,family_id,episode_id,start_date,request_source,lead_agency,service_level\n"
        "E06000001,C1,F1,EH1,2019-04-01,school,school,targeted_early_help\n"
    )
    folder = EHLDFolder(tmp_path)
    con = duckdb.connect()
    folder.register(con)
    row = con.execute("SELECT start_date, end_date FROM early_help_episodes").fetchall()
    assert str(row[0][0]) == "2019-04-01" and row[0][1] is None
    assert con.execute("SELECT count(*) FROM referrals").fetchall() == [(0,)]
