"""``lpx demo``: a hub with three jurisdictions and synthetic pointers, on embedded SQLite.

One machine plays both sides here, but the code keeps them apart: the state side
(synthetic files, network keys, loader) writes under ``DIR/state`` and reaches the hub
only through its HTTP API; the hub's files live under ``DIR/hub`` and hold no network key.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from lpx.auth.permissions import Role
from lpx.bootstrap import build_hub
from lpx.config import Settings
from lpx.storage.db import migrate

console = Console()
DEMO_STATES = {"CA": "California", "NY": "New York", "TX": "Texas"}


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Demo workspace (recreated)")] = Path(
        ".lpx-demo"
    ),
    count: Annotated[int, typer.Option(help="Synthetic records across the three states")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed for the synthetic data")] = 7,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare, print, and exit")] = False,
) -> None:
    """Start a hub with demo data for CA, NY and TX and print how to use it."""
    from lpx.client.hub import HubClient
    from lpx.client.keys import generate, save
    from lpx.client.loader import load_file
    from lpx.synth import write_files

    if directory.exists():
        shutil.rmtree(directory)
    hub_dir, state_dir = directory / "hub", directory / "state"
    settings = Settings(database_url=f"sqlite:///{(hub_dir / 'hub.db').resolve()}",
                        data_dir=hub_dir)  # fmt: skip
    hub = build_hub(settings)  # operator set-up; the serving hub is a separate process below
    migrate(hub.engine)
    keys_by_state, admin_keys = {}, {}
    for code, name in DEMO_STATES.items():
        hub.access.add_jurisdiction(code, name)
        keys_by_state[code] = hub.access.issue_credential(code, "demo system",
                                                          [Role.CLERK, Role.RECORDS])  # fmt: skip
        admin_keys[code] = hub.access.issue_credential(code, "demo admin", [Role.STATE_ADMIN])

    # The state side: network keys shared by the states, synthetic state files.
    state_dir.mkdir(parents=True)
    network_keys_path = state_dir / "network-keys.json"
    network_keys = generate()
    save(network_keys, network_keys_path)
    write_files(state_dir / "files", count, list(DEMO_STATES), seed, None)

    # The hub runs in its own process, which never sees the network keys.
    url = f"http://{host}:{port}"
    tokenizer_url = f"http://{host}:{port + 1}/tokenize"  # the states' SSN-5 tokenizer
    hub_env = {k: v for k, v in os.environ.items() if k != "LPX_NETWORK_KEYS"}
    hub_env |= {"LPX_DATABASE_URL": settings.database_url, "LPX_DATA_DIR": str(hub_dir),
                "LPX_CONSOLE_SESSION_SECRET": secrets.token_hex(32),  # new sign-ins per run
                "LPX_CONSOLE_TOKENIZER_URLS": json.dumps(dict.fromkeys(DEMO_STATES,
                                                                       tokenizer_url))}  # fmt: skip
    hub_process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "uvicorn", "lpx.api.app:create_app", "--factory",
         "--host", host, "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=hub_env,
    )  # fmt: skip
    # The state side's tokenizer for the console's SSN-5 field: it holds the network keys.
    tokenizer = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "uvicorn", "lpx.client.tokenizer:create_app", "--factory",
         "--host", host, "--port", str(port + 1), "--log-level", "warning", "--no-access-log"],
        env=os.environ | {"LPX_NETWORK_KEYS": str(network_keys_path),
                          "LPX_TOKENIZER_ORIGINS": url},
    )  # fmt: skip
    _stop_on_signals()
    try:
        _wait_until_up(url, hub_process)
        with Progress(console=console) as bar:
            for code, key in keys_by_state.items():
                task = bar.add_task(f"Loading {code}", total=None)
                client = HubClient.connect(url, key, "demo-loader")
                try:
                    report = load_file(
                        state_dir / "files" / f"{code}.csv",
                        client,
                        network_keys,
                        progress=functools.partial(_advance, bar, task),
                        jurisdiction=code,
                    )
                finally:
                    client.close()
                bar.update(task, description=f"{code}: {report.added} pointers loaded")
        _print_banner(url, keys_by_state, network_keys_path, state_dir / "files")
        _print_console(url, admin_keys)
        if not no_serve:
            hub_process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(tokenizer, hub_process)


def _stop_on_signals() -> None:
    """Ctrl+C and ``kill`` both stop the demo's servers with it. Python leaves SIGINT
    ignored when the demo was started that way (a background job of a script), and SIGTERM
    would end the demo alone, leaving its two servers holding their ports."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler)  # raises KeyboardInterrupt


def _stop(*servers: subprocess.Popen[bytes], grace: float = 30) -> None:
    """Ask the servers to stop, and kill any still running after ``grace`` seconds: a slow
    shutdown (a loaded machine) must not end Ctrl+C in a traceback with a server left up."""
    for server in servers:
        server.terminate()
    deadline = time.monotonic() + grace
    for server in servers:
        try:
            server.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            console.print("[red]The hub did not start (is the port in use?).[/]")
            raise typer.Exit(2)
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    console.print("[red]The hub did not answer in time.[/]")
    raise typer.Exit(2)


def _advance(bar: Progress, task: TaskID, rows: int) -> None:
    bar.update(task, completed=rows)


def _print_console(url: str, admin_keys: dict[str, str]) -> None:
    """The web console: clerks and records staff sign in with the system keys above."""
    table = Table("Jurisdiction", "API key (role: state_admin)", title="Demo administrators")
    for code, key in admin_keys.items():
        table.add_row(code, key)
    console.print(table)
    console.print(f"Web console: [cyan]{url}/console[/] (clerks and records staff sign in "
                  "with their state's system key, administrators with the key above, each with "
                  f"their own user id; public: [cyan]{url}/console/transparency[/])"
                  "\nPress Ctrl+C to stop.", highlight=False, soft_wrap=True)  # fmt: skip


def _print_banner(url: str, keys: dict[str, str], network_keys: Path, files: Path) -> None:
    console.print(f"\n[bold]LPX demo hub[/] at [cyan]{url}[/]   API docs: [cyan]{url}/docs[/]")
    table = Table("Jurisdiction", "API key (roles: clerk, records)", title="Demo credentials")
    for code, key in keys.items():
        table.add_row(code, key)
    console.print(table)
    console.print(
        "Every request sends [bold]Authorization: Bearer <key>[/] and [bold]X-LPX-User: "
        "<your clerk id>[/].\nTry, from another terminal:\n"
        f"  export LPX_HUB_URL={url} LPX_API_KEY={keys['TX']} LPX_USER=clerk-7 "
        f"LPX_NETWORK_KEYS={network_keys}\n"
        "  lpx search --last-name <LAST> --first-name <FIRST> --dob <YYYY-MM-DD> "
        "--purpose license_issuance\n"
        f"(names to try are in {files}/CA.csv)",
        highlight=False,
        soft_wrap=True,
    )
