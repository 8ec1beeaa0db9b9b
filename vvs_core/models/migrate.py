"""Alembic, assembled from the core and every enabled plugin.

The core's migrations live in ``vvs_core/migrations/versions`` (branch label
``vvs_core``); a plugin that has tables ships ``<plugin>/migrations/`` with its own
version folder and a first revision with ``branch_labels = ("<plugin>",)`` and
``depends_on = "vvs_core"``. ``upgrade`` goes to ``heads``.
"""

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config


def version_locations(module_names: list[str]) -> list[str]:
    locations = [str(resources.files("vvs_core") / "migrations" / "versions")]
    for name in module_names:
        folder = Path(str(resources.files(name))) / "migrations" / "versions"
        if folder.is_dir():
            locations.append(str(folder))
    return locations


def alembic_config(database_url: str, module_names: list[str], settings=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("vvs_core") / "migrations"))
    # ';' separates locations whatever the OS; set the separator explicitly.
    cfg.set_main_option("version_path_separator", ";")
    cfg.set_main_option("path_separator", ";")
    cfg.set_main_option("version_locations", ";".join(version_locations(module_names)))
    cfg.attributes["database_url"] = database_url
    # the resolved settings, for a data migration that needs them (re-sealing secrets
    # under their key setting: vvs_core.encryption)
    cfg.attributes["settings"] = settings
    return cfg


def installed_module_names() -> list[str]:
    from importlib.metadata import entry_points

    return sorted({ep.value.split(":")[0] for ep in entry_points(group="vvs")})


def upgrade(database_url: str, module_names: list[str], connection=None, settings=None) -> None:
    """Upgrade the core and the enabled plugins' branches to their heads.

    The version locations of every installed plugin are known to Alembic, so a
    database that once had a plugin enabled still resolves its revisions after the
    plugin is turned off; only the enabled branches are upgraded.
    """
    known = sorted(set(module_names) | set(installed_module_names()))
    cfg = alembic_config(database_url, known, settings)
    if connection is not None:
        cfg.attributes["connection"] = connection
    targets = ["vvs_core@head"] + [
        f"{name}@head" for name in module_names
        if (Path(str(resources.files(name))) / "migrations" / "versions").is_dir()]
    for target in targets:
        command.upgrade(cfg, target)
