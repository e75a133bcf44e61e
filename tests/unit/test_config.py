"""Reading config.yaml: typed values, and errors that name the key path and line."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from daemon.config import Config, ReminderStep, load_config
from daemon.errors import ConfigError, UsageError

REPO = Path(__file__).resolve().parents[2]

MINIMAL = textwrap.dedent(
    """\
    zone:
      name: Test Zone
      admins: [Admin@Example.gov.in]
    mailbox:
      backend: maildir
      path: var/mailbox
    outgoing:
      backend: directory
      path: var/outbox
      from: Test Cell <cell@example.gov.in>
    storage:
      database: var/test.db
      archive: var/archive
    units:
      - id: alpha
        name: Alpha
        emails: [ccu-alpha@example.gov.in]
        strength: 10
      - id: beta
        name: Beta
        emails: [ccu-beta@example.gov.in]
        escalation_cc: [commr-beta@example.gov.in]
        strength: 20
        aliases: [Beta Commissionerate]
    campaigns:
      - id: drive
        title: A drive
        format: unit-completion-report
        unit_deadline: 2023-04-30
        upstream:
          to: [upstream@example.nic.in]
          format: zonal-completion-report
          send_at: 2023-05-04 11:00
    """
)


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def config_error(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={} if env is None else env)
    return str(caught.value)


def edited(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new, 1)


# --------------------------------------------------------------------------- loading


def test_the_repository_sample_loads() -> None:
    config = load_config(REPO / "config.yaml", env={})

    assert len(config.units) == 14
    assert len(config.campaigns) == 1
    assert [u.id for u in config.units][:3] == ["chennai-north", "chennai-south", "chennai-outer"]
    campaign = config.campaign()
    assert campaign.id == "emerging-tech-l1"
    assert campaign.unit_deadline == date(2023, 4, 30)
    assert campaign.upstream.send_at == datetime(2023, 5, 4, 11, 0)
    assert campaign.upstream.deadline == date(2023, 5, 5)
    assert [s.spec for s in campaign.reminders.at] == [
        "-7d 10:00",
        "-3d 10:00",
        "-1d 10:00",
        "+1d 10:00",
        "+3d 10:00",
    ]
    assert config.unit("trichy").name == "Tiruchirappalli"
    assert "Trichy" in config.unit("trichy").aliases
    assert "Pondicherry" in config.unit("puducherry").aliases
    assert config.outgoing.from_ == "Zonal Compliance Cell <compliance-cell@example.gov.in>"
    assert config.report_format(campaign.format).name == "unit-completion-report"
    addresses = [e for u in config.units for e in (*u.emails, *u.escalation_cc)]
    addresses += [*config.zone.admins, *campaign.upstream.to]
    assert all(a.endswith(("@example.gov.in", "@example.nic.in")) for a in addresses)


def test_minimal_file_gives_typed_values_and_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={})

    assert config.zone.admins == ("admin@example.gov.in",)
    assert config.zone.timezone == "Asia/Kolkata"
    assert str(config.zone.tzinfo) == "Asia/Kolkata"
    assert config.mailbox.identity == f"maildir:{tmp_path / 'var/mailbox'}"
    assert config.service.poll_interval == 300
    campaign = config.campaign("drive")
    assert campaign.reminders.escalate_after == 2
    assert [(s.offset_days, s.at) for s in campaign.reminders.at] == [
        (-7, time(10)),
        (-3, time(10)),
        (-1, time(10)),
        (1, time(10)),
        (3, time(10)),
    ]
    assert campaign.digest.cron == "0 9 * * mon-sat"
    assert campaign.digest.to == ()
    assert config.campaign_units(campaign) == config.units
    assert config.source == tmp_path / "config.yaml"


def test_relative_paths_resolve_against_the_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "etc" / "anupalan"
    config_dir.mkdir(parents=True)
    path = write(config_dir, edited("path: var/outbox", "path: /srv/outbox"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_config(path, env={})

    assert config.mailbox.path == config_dir / "var" / "mailbox"
    assert config.outgoing.path == Path("/srv/outbox")
    assert config.storage.database == config_dir / "var" / "test.db"
    assert config.storage.archive == config_dir / "var" / "archive"


def test_campaign_units_follow_the_campaign_order(tmp_path: Path) -> None:
    text = edited("    unit_deadline:", "    units: [beta, alpha]\n    unit_deadline:")
    config = load_config(write(tmp_path, text), env={})

    assert [u.id for u in config.campaign_units(config.campaign())] == ["beta", "alpha"]


def test_lookups_fail_clearly(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={})

    with pytest.raises(KeyError):
        config.unit("gamma")
    with pytest.raises(UsageError, match="drive"):
        config.campaign("no-such-drive")
    with pytest.raises(KeyError):
        config.report_format("no-such-format")


def test_custom_format_is_found_before_builtins(tmp_path: Path) -> None:
    text = MINIMAL.replace("format: unit-completion-report", "format: my-return") + (
        "formats:\n"
        "  my-return:\n"
        "    title: My return\n"
        "    columns:\n"
        "      - {field: name, header: Name, required: true}\n"
    )
    config = load_config(write(tmp_path, text), env={})

    assert config.report_format("my-return").title == "My return"
    assert config.report_format("zonal-completion-report").columns


def test_objects_are_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={})

    attempts = [
        (config.units[0], "strength", 99),
        (config, "zone", config.zone),
        (config.campaign().upstream, "send_at", datetime(2024, 1, 1)),
    ]
    for target, attribute, value in attempts:
        with pytest.raises(ValidationError, match="frozen"):
            setattr(target, attribute, value)
    assert config.units[0].strength == 10


# --------------------------------------------------------------------------- errors


def test_unknown_key_names_its_path_line_and_the_known_keys(tmp_path: Path) -> None:
    text = edited("    strength: 20\n", "    strength: 20\n    strenght: 20\n")
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, 'strenght')}: units[1].strenght: unknown key 'strenght'" in (
        message
    )
    assert "did you mean 'strength'" in message
    assert "escalation_cc" in message


def test_wrong_type_names_its_path_and_line(tmp_path: Path) -> None:
    text = edited("strength: 10", "strength: abc")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "strength: abc")
    assert f"line {line}: units[0].strength: expected a whole number, got 'abc'" in message
    assert "1 problem(s)" in message


def test_missing_key_is_reported_at_its_parent(tmp_path: Path) -> None:
    start = MINIMAL.index("    upstream:")
    text = MINIMAL[:start]
    message = config_error(write(tmp_path, text))

    line = line_of(text, "- id: drive")
    assert f"line {line}: campaigns[0].upstream: missing required key 'upstream'" in message


def test_missing_top_level_section(tmp_path: Path) -> None:
    text = edited("storage:\n  database: var/test.db\n  archive: var/archive\n", "")
    message = config_error(write(tmp_path, text))

    assert "storage: missing required key 'storage'" in message


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = edited("strength: 10", "strength: 0")
    text = text.replace("send_at: 2023-05-04 11:00", "send_at: soon")
    message = config_error(write(tmp_path, text))

    assert "2 problem(s)" in message
    assert f"line {line_of(text, 'strength: 0')}: units[0].strength: must be at least 1" in message
    assert f"line {line_of(text, 'send_at')}: campaigns[0].upstream.send_at:" in message


def test_yaml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    text = edited("  name: Test Zone", "  name: Test Zone: [unclosed")
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, 'unclosed')}: YAML syntax error" in message


def test_duplicate_key_in_a_mapping_is_an_error(tmp_path: Path) -> None:
    text = edited("    strength: 10\n", "    strength: 10\n    strength: 11\n")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "strength: 11")
    assert f"line {line}: units[0].strength: key 'strength' is given twice" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the configuration file is empty"),
        ("# only a comment\n", "the configuration file is empty"),
        ("- zone\n- units\n", "the top level must be keys and values"),
    ],
)
def test_empty_or_non_mapping_file(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in config_error(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    message = config_error(tmp_path / "nowhere.yaml")

    assert "nowhere.yaml" in message
    assert "does not exist" in message


def test_invalid_timezone(tmp_path: Path) -> None:
    text = edited("  name: Test Zone\n", "  name: Test Zone\n  timezone: Asia/Kolkatta\n")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "Kolkatta")
    assert f"line {line}: zone.timezone: unknown time zone 'Asia/Kolkatta'" in message


def test_bad_email_address(tmp_path: Path) -> None:
    text = edited("[ccu-beta@example.gov.in]", "[ccu-beta at example.gov.in]")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "ccu-beta at")
    assert f"line {line}: units[1].emails[0]: 'ccu-beta at example.gov.in' is not an email" in (
        message
    )


def test_sender_must_contain_an_address(tmp_path: Path) -> None:
    text = edited("from: Test Cell <cell@example.gov.in>", "from: Test Cell")
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, 'from:')}: outgoing.from: 'Test Cell' does not contain" in message


@pytest.mark.parametrize(
    ("step", "hint"),
    [
        ("7d 10:00", "write '-7d'"),
        ("-7 10:00", "written like '-7d 10:00'"),
        ("-7d 25:00", "between 00:00 and 23:59"),
        ("next week", "written like '-7d 10:00'"),
    ],
)
def test_bad_reminder_step(tmp_path: Path, step: str, hint: str) -> None:
    text = edited(
        "    upstream:",
        f'    reminders:\n      at: ["-3d 10:00", "{step}"]\n    upstream:',
    )
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, step)}: campaigns[0].reminders.at[1]: " in message
    assert hint in message


def test_reminder_steps_are_read_with_their_sign() -> None:
    assert ReminderStep.parse("0d 09:30").offset_days == 0
    assert ReminderStep.parse("+2d 18:05").at == time(18, 5)
    assert ReminderStep.parse("-10d 07:00").offset_days == -10
    assert ReminderStep.parse("-10d 07:00").spec == "-10d 07:00"


@given(
    days=st.integers(min_value=0, max_value=60),
    sign=st.sampled_from(["-", "+"]),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.integers(min_value=0, max_value=59),
)
def test_any_well_formed_step_reads_back(days: int, sign: str, hour: int, minute: int) -> None:
    step = ReminderStep.parse(f"{sign}{days}d {hour:02d}:{minute:02d}")

    assert step.offset_days == (-days if sign == "-" else days)
    assert step.at == time(hour, minute)


def test_send_at_needs_a_time(tmp_path: Path) -> None:
    text = edited("send_at: 2023-05-04 11:00", "send_at: 2023-05-04")
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, 'send_at')}: campaigns[0].upstream.send_at: give a time" in (
        message
    )


@pytest.mark.parametrize(
    ("backend", "expected"),
    [("pop3", "maildir")],
)
def test_mailbox_backend(tmp_path: Path, backend: str, expected: str) -> None:
    text = edited("backend: maildir", f"backend: {backend}")
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, backend)}: mailbox.backend: " in message
    assert expected in message


def test_duplicate_unit_id(tmp_path: Path) -> None:
    text = edited("id: beta", "id: alpha")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "id: alpha", occurrence=2)
    assert f"line {line}: units[1].id: unit id 'alpha' is already used by units[0]" in message


def test_address_listed_by_two_units(tmp_path: Path) -> None:
    text = edited("[ccu-beta@example.gov.in]", "[other@example.gov.in, CCU-Alpha@example.gov.in]")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "CCU-Alpha")
    assert f"line {line}: units[1].emails[1]: address 'ccu-alpha@example.gov.in' is also " in (
        message
    )
    assert "'alpha'" in message


def test_duplicate_campaign_id(tmp_path: Path) -> None:
    second = MINIMAL[MINIMAL.index("  - id: drive") :]
    text = MINIMAL + second
    message = config_error(write(tmp_path, text))

    line = line_of(text, "- id: drive", occurrence=2)
    assert f"line {line}: campaigns[1].id: campaign id 'drive' is already used" in message


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    text = edited("format: zonal-completion-report", "format: zonal-report")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "zonal-report")
    assert f"line {line}: campaigns[0].upstream.format: unknown format 'zonal-report'" in message
    assert "unit-completion-report, zonal-completion-report" in message


def test_campaign_names_an_unknown_unit(tmp_path: Path) -> None:
    text = edited("    unit_deadline:", "    units: [alpha, gamma]\n    unit_deadline:")
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, 'gamma')}: campaigns[0].units[1]: unknown unit 'gamma'" in (
        message
    )


def test_bad_id_and_cron(tmp_path: Path) -> None:
    text = edited("id: beta", "id: Beta North").replace(
        "    upstream:", '    digest:\n      cron: "0 9 * *"\n    upstream:'
    )
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, 'Beta North')}: units[1].id: 'Beta North' is not a valid id" in (
        message
    )
    assert f"line {line_of(text, 'cron')}: campaigns[0].digest.cron: a cron schedule has 5" in (
        message
    )


def test_source_is_not_a_yaml_key(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, MINIMAL + "source: elsewhere.yaml\n"))

    assert "source: unknown key 'source'" in message


def test_direct_construction_still_checks_consistency() -> None:
    import yaml

    data = yaml.safe_load(edited("id: beta", "id: alpha"))

    with pytest.raises(ValidationError, match="already used"):
        Config.model_validate({**data, "source": Path("config.yaml")})


# --------------------------------------------------------------------------- secrets


def test_environment_variables_are_substituted(tmp_path: Path) -> None:
    text = edited("  name: Test Zone", "  name: ${ZONE_NAME} ($${NOT_A_VAR})")
    config = load_config(write(tmp_path, text), env={"ZONE_NAME": "Chennai"})

    assert config.zone.name == "Chennai (${NOT_A_VAR})"


def test_missing_environment_variable(tmp_path: Path) -> None:
    text = edited("  name: Test Zone", "  name: ${ZONE_NAME}")
    message = config_error(write(tmp_path, text), env={})

    line = line_of(text, "ZONE_NAME")
    assert f"line {line}: zone.name: environment variable ZONE_NAME is not set" in message
    assert "1 problem(s)" in message


def test_environment_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANUPALAN_TEST_ZONE", "From Env")
    text = edited("  name: Test Zone", "  name: ${ANUPALAN_TEST_ZONE}")

    assert load_config(write(tmp_path, text)).zone.name == "From Env"


def test_secret_values_never_appear_in_errors(tmp_path: Path) -> None:
    text = edited("strength: 10", "strength: ${STRENGTH}").replace(
        "[Admin@Example.gov.in]", '["${ADMIN}"]'
    )
    message = config_error(
        write(tmp_path, text), env={"STRENGTH": "hunter2-swordfish", "ADMIN": "s3cr3t-token"}
    )

    assert f"line {line_of(text, 'STRENGTH')}: units[0].strength:" in message
    assert f"line {line_of(text, 'ADMIN')}: zone.admins[0]:" in message
    assert "hunter2" not in message
    assert "s3cr3t" not in message


def test_file_key_reads_the_named_file(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "zone-name").write_text("Zone From File\n", encoding="utf-8")
    text = edited("  name: Test Zone", "  name_file: secrets/zone-name")

    assert load_config(write(tmp_path, text), env={}).zone.name == "Zone From File"


def test_file_key_path_may_use_the_environment(tmp_path: Path) -> None:
    (tmp_path / "zone-name").write_text("Zone From File", encoding="utf-8")
    text = edited("  name: Test Zone", "  name_file: ${CREDENTIALS_DIRECTORY}/zone-name")
    config = load_config(write(tmp_path, text), env={"CREDENTIALS_DIRECTORY": str(tmp_path)})

    assert config.zone.name == "Zone From File"


def test_unreadable_file_key(tmp_path: Path) -> None:
    text = edited("  name: Test Zone", "  name_file: secrets/missing")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "name_file")
    assert f"line {line}: zone.name_file: cannot read the file" in message
    assert "missing required key" not in message


def test_key_and_file_key_together(tmp_path: Path) -> None:
    (tmp_path / "zone-name").write_text("Zone From File", encoding="utf-8")
    text = edited("  name: Test Zone", "  name: Test Zone\n  name_file: zone-name")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "name_file")
    assert f"line {line}: zone.name_file: give either 'name' or 'name_file', not both" in message


def test_file_content_is_secret_in_errors(tmp_path: Path) -> None:
    (tmp_path / "admins").write_text("not-an-address-swordfish\n", encoding="utf-8")
    text = edited("  name: Test Zone", "  name: Test Zone\n  timezone_file: admins")
    message = config_error(write(tmp_path, text))

    assert f"line {line_of(text, 'timezone_file')}: zone.timezone_file:" in message
    assert "swordfish" not in message


def test_file_key_for_a_key_the_section_does_not_have(tmp_path: Path) -> None:
    (tmp_path / "imap-password").write_text("pa55word\n", encoding="utf-8")
    text = edited("  name: Test Zone", "  name: Test Zone\n  password_file: imap-password")
    message = config_error(write(tmp_path, text))

    line = line_of(text, "password_file")
    assert f"line {line}: zone.password_file: unknown key 'password'" in message
    assert "pa55word" not in message
