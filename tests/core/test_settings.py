import pytest

from vvs_core.errors import ConfigurationError
from vvs_core.settings import Setting, SettingsRegistry, core_registry, env_name


def test_unknown_setting_is_refused_with_a_suggestion():
    with pytest.raises(ConfigurationError) as err:
        core_registry().resolve({"vvs.secret": "x" * 40, "vvs.sms.provder": "console"}, environ={})
    assert "vvs.sms.provder" in str(err.value) and "vvs.sms.provider" in str(err.value)


def test_environment_overrides_ini_by_one_rule():
    reg = core_registry()
    out = reg.resolve({"vvs.secret": "x" * 40, "vvs.outbox.max_attempts": "3"},
                      environ={"VVS_OUTBOX_MAX_ATTEMPTS": "9"})
    assert out["vvs.outbox.max_attempts"] == 9
    assert env_name("vvs.sms.ovh.app_secret") == "VVS_SMS_OVH_APP_SECRET"


def test_required_and_parse_errors_name_the_setting():
    reg = core_registry()
    with pytest.raises(ConfigurationError, match="vvs.secret"):
        reg.resolve({}, environ={})
    with pytest.raises(ConfigurationError, match="vvs.outbox.max_attempts"):
        reg.resolve({"vvs.secret": "x" * 40, "vvs.outbox.max_attempts": "many"}, environ={})


@pytest.mark.parametrize("rate", ["0/60", "10/0", "dix/60", "10/une minute", "-1/60"])
def test_a_rate_that_could_never_be_counted_stops_start_up_naming_its_setting(rate):
    with pytest.raises(ConfigurationError, match="vvs.ratelimit.signup"):
        core_registry().resolve({"vvs.secret": "x" * 40, "vvs.ratelimit.signup": rate}, environ={})
    assert core_registry().resolve({"vvs.secret": "x" * 40, "vvs.ratelimit.signup": "3/60"}, environ={})[
        "vvs.ratelimit.signup"] == "3/60"


def test_secrets_are_masked():
    reg = core_registry()
    out = reg.resolve({"vvs.secret": "s" * 40}, environ={})
    assert reg.masked(out)["vvs.secret"] == "***"


def test_duplicate_declaration_is_refused():
    reg = SettingsRegistry()
    reg.declare(Setting("vvs.a", 1))
    with pytest.raises(ConfigurationError):
        reg.declare(Setting("vvs.a", 2), owner="plugin x")
