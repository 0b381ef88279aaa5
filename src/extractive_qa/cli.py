"""Project commands: Kedro's ``run``, ending a failed run with its cause, and
``status``, every persisted entry against the current configuration.

Kedro picks up ``<package>.cli`` and lets its ``run`` replace the built-in
one; options, help and behaviour are Kedro's own (``kedro run --help``).
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run

from extractive_qa.failures import (
    Terminated,
    failed_node,
    plain_console_when_piped,
    report_failure,
    stop_on_sigterm,
    write_traceback,
)
from extractive_qa.freshness import EntryState, Provenance, run_command
from extractive_qa.stages import node_stages, stages_from


@click.group(name="extractive_qa")
def cli() -> None:
    """Commands of the extractive_qa project."""


# Where a failed run's traceback goes, under the project folder.
FAILURE_LOG = Path("logs") / "failures.log"


def _run(**kwargs: Any) -> None:
    plain_console_when_piped()
    restore = stop_on_sigterm()
    try:
        kedro_run.callback(**kwargs)
    except Terminated:
        node = failed_node()
        where = f" in node '{node}'" if node else ""
        click.echo(
            f"Run stopped by SIGTERM{where}. The storage lock is removed as the "
            "process exits; rerun the same command to go on (fine_tune resumes "
            "from its last checkpoint).",
            err=True,
        )
        sys.exit(128 + signal.SIGTERM)
    except Exception as error:  # noqa: BLE001 - every failure ends the same way
        restore()
        metadata = click.get_current_context().obj
        project = Path(getattr(metadata, "project_path", Path.cwd()))
        report_failure(error, failed_node(), log_file=project / FAILURE_LOG)
        sys.exit(1)
    # After SIGTERM the handling stays as it is (ignored) until the exit
    # handlers have removed the lock.
    restore()


# Also what ``python -m extractive_qa`` runs: Kedro looks it up by this name.
run = click.Command(
    name="run",
    params=kedro_run.params,
    callback=_run,
    help=kedro_run.help,
    short_help=kedro_run.short_help,
)
cli.add_command(run)


def _option(name: str) -> click.Parameter:
    return next(param for param in kedro_run.params if param.name == name)


def rebuild_command(starts: list[str], stages: dict[str, str]) -> str:
    """The command that rebuilds from the nodes ``starts``: the stages from
    the first of theirs on, each on its machine, where ``stages`` gives the
    nodes' stages (a storage root shared by machines); otherwise the run from
    them."""
    order = stages_from(stages, starts)
    if not order:
        return run_command(starts)
    runs = [f"kedro run --pipelines={stage}" for stage in order]
    return ", then ".join(runs) + (", each on its machine" if len(runs) > 1 else "")


def status_lines(
    entries: list[EntryState],
    starts: Callable[[str], list[str]],
    stages: dict[str, str] | None = None,
) -> list[str]:
    """One line per entry: name, state, and for stale ones why and the rebuild
    command, from the nodes ``starts`` gives for the entry's rebuild (by stage
    where ``stages`` maps nodes to them); a count per state at the end."""
    width = max(len(entry.name) for entry in entries)
    state_width = max(len("missing"), *(len(entry.state) for entry in entries))
    lines = []
    for entry in entries:
        line = f"{entry.name:<{width}}  {entry.state:<{state_width}}"
        if entry.state == "stale":
            command = rebuild_command(starts(str(entry.rebuild_from)), stages or {})
            line += f"  {entry.why}; rebuild: {command}"
        elif entry.state == "unverified":
            line += f"  {entry.why}"
        elif entry.state == "missing":
            line += f"  {entry.why or 'not there'}; made by {entry.rebuild_from}"
        lines.append(line.rstrip())
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.state] = counts.get(entry.state, 0) + 1
    lines.append(", ".join(f"{count} {state}" for state, count in counts.items()))
    return lines


@cli.command("status")
@click.pass_obj
def status(metadata: Any, env: str | None, params: dict[str, Any]) -> None:
    """Every persisted entry of the default pipeline: fresh, stale (why, and
    the command that rebuilds it), missing or unverified (made from a raw file
    not on this machine), against the configuration of --env and --params."""
    plain_console_when_piped()
    # The table is the output: Kedro's INFO lines about loading parameters
    # and hooks would bury it. Warnings still show.
    logging.disable(logging.INFO)
    try:
        lines = _status_lines(metadata, env, params)
    except click.ClickException:
        raise
    except Exception as error:  # noqa: BLE001 - a configuration Kedro cannot read
        log_file = Path(metadata.project_path) / FAILURE_LOG
        write_traceback(error, None, log_file)
        raise click.ClickException(
            f"{type(error).__name__}: {str(error).strip()}\n"
            f"The full traceback is in {log_file}."
        ) from None
    finally:
        logging.disable(logging.NOTSET)
    click.echo("\n".join(lines))


def _status_lines(metadata: Any, env: str | None, params: dict[str, Any]) -> list[str]:
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession

    from extractive_qa.parameter_checks import (
        SettingsError,
        parameter_problems,
        settings_error,
    )
    from extractive_qa.run_lock import root_lock
    from extractive_qa.storage_root import StorageRootError

    with KedroSession.create(
        project_path=metadata.project_path, env=env, runtime_params=params
    ) as session:
        try:
            context = session.load_context()
        except SettingsError as error:  # the storage root, checked first
            problems = error.problems or [str(error)]
        else:
            problems = parameter_problems(context.params)
        if problems:
            lead = "the parameters are not valid, so no entry is compared with them"
            raise click.ClickException(str(settings_error(problems, lead)))
        catalog = context.catalog
        default = pipelines["__default__"]
        try:
            project = Path(metadata.project_path)
            root_lock(catalog, sorted(default.datasets()), project).check_root()
        except StorageRootError as error:
            raise click.ClickException(str(error)) from None
        provenance = Provenance(catalog, pipelines.values())
        entries = [
            entry for entry in provenance.entries(default) if entry.state != "unchecked"
        ]
        shared = "://" in str(context.params.get("storage") or "")
        stages = node_stages(pipelines) if shared else {}
    return status_lines(
        entries, lambda node: provenance.rebuild_starts(default, [node]), stages
    )


status.params.extend([_option("env"), _option("params")])
