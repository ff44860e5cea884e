"""The ``ivr`` command: serve, call, agi, flows check, db upgrade, sms."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivr.core.media_clock import SIMULATION_RATE, MediaClock
from ivr.core.settings import Settings

if TYPE_CHECKING:
    from ivr.flow.model import FlowSet


class _Steps(argparse.Action):
    """Keep --dtmf / --say / --wav / --hangup in the order they were given."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        steps = getattr(namespace, "steps", None) or []
        steps.append((self.dest, values))
        namespace.steps = steps


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivr", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the FastAGI and AudioSocket servers")
    serve.add_argument("--agi-port", type=int)
    serve.add_argument("--media-port", type=int)

    call = sub.add_parser("call", help="place a simulated call and print its transcript")
    call.add_argument("number", help="the dialled number (DID)")
    call.add_argument("--from", dest="callerid", default="0901234567")
    call.add_argument(
        "--dtmf",
        action=_Steps,
        dest="dtmf",
        help="keys, comma-separated groups: one group per menu (e.g. 1,2,123#)",
    )
    call.add_argument("--say", action=_Steps, dest="say", help="speech (espeak-ng) to speak")
    call.add_argument("--say-language", default="en", choices=["vi", "zh", "en"])
    call.add_argument("--wav", action=_Steps, dest="wav", help="an 8 kHz wav file to speak")
    call.add_argument(
        "--listen",
        action=_Steps,
        dest="listen",
        nargs=0,
        help="hear the next prompt out without pressing anything",
    )
    call.add_argument(
        "--hangup",
        action=_Steps,
        dest="hangup",
        type=float,
        metavar="SECONDS",
        help="hang up this many seconds into the next command",
    )
    call.add_argument(
        "--queue-status",
        action="append",
        default=[],
        help="outcome of each Queue(): ANSWERED (default), TIMEOUT, FULL, ...",
    )
    call.add_argument("--agi", help="host:port of a running `ivr serve` (default: settings)")
    call.add_argument(
        "--local",
        action="store_true",
        help="run an IVR inside this command instead of calling `ivr serve`",
    )
    call.add_argument("--flows", type=Path, help="with --local: a folder of (draft) flows")
    call.add_argument(
        "--rate",
        type=float,
        help="call time per real second; the IVR called must run at it (IVR_MEDIA_RATE). "
        f"Default: {SIMULATION_RATE:g} with --local, else IVR_MEDIA_RATE",
    )
    call.add_argument("--detail", action="store_true", help="show every AGI command")
    call.add_argument("--timeout", type=float, default=300.0)

    agi = sub.add_parser("agi", help="run one script as classic AGI over stdin/stdout")
    agi.add_argument("script")
    agi.add_argument("args", nargs="*")

    flows = sub.add_parser("flows", help="flow files")
    flows.add_argument("action", choices=["check"])
    flows.add_argument("directory", nargs="?", type=Path)

    db = sub.add_parser("db", help="database")
    db.add_argument("action", choices=["upgrade"])

    models = sub.add_parser("models", help="speech models: list them, or download a vosk model")
    models.add_argument("action", nargs="?", choices=["list", "download"], default="list")
    models.add_argument("language", nargs="?", help="with download: vi, zh, en, ...")
    models.add_argument("--name", help="a catalog model name (default: newest small one)")
    models.add_argument("--force", action="store_true", help="replace an installed model")

    evaluate = sub.add_parser(
        "evaluate", help="play recordings through a local IVR and count what it understood"
    )
    evaluate.add_argument("folder", type=Path, help="WAV files and their expected.tsv")
    evaluate.add_argument(
        "--noise", type=float, action="append", default=[], help="also at this SNR (dB)"
    )
    evaluate.add_argument("--flows", type=Path, help="a folder of flows (default: settings)")
    evaluate.add_argument("--verbose", action="store_true", help="one line per recording")
    evaluate.add_argument(
        "--rate", type=float, default=10.0, help="call time per real second (default 10)"
    )

    seed = sub.add_parser("seed", help="fill the database with demo data")
    seed.add_argument("--demo", action="store_true", required=True, help="insured persons")
    seed.add_argument("--count", type=int, default=300, help="generated persons (default 300)")
    seed.add_argument("--random-seed", type=int, default=2026)

    prompts = sub.add_parser("prompts", help="pre-render the prompts of the flows")
    prompts.add_argument("action", choices=["render"])
    prompts.add_argument("--flows", type=Path, help="a folder of flows (default: settings)")
    prompts.add_argument("--language", choices=["vi", "zh", "en"])
    _sms_parser(sub)
    _kb_parser(sub)
    _queues_parser(sub)
    _tickets_parser(sub)
    _campaigns_parser(sub)
    _admin_parser(sub)
    return parser


def _admin_parser(sub: Any) -> None:
    admin = sub.add_parser("admin", help="users of the admin web")
    action = admin.add_subparsers(dest="admin_action", required=True)
    create = action.add_parser(
        "create-user",
        help="add a user; the password comes from IVR_ADMIN_PASSWORD, stdin or a prompt",
    )
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=["admin", "supervisor", "viewer"])
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    action.add_parser("list-users", help="users, their roles and whether they are disabled")


def _campaigns_parser(sub: Any) -> None:
    campaigns = sub.add_parser("campaigns", help="outbound notices: create, list, results, ...")
    action = campaigns.add_subparsers(dest="campaigns_action", required=True)
    create = action.add_parser("create", help="a new campaign from a CSV of numbers")
    create.add_argument("name")
    create.add_argument("--csv", type=Path, required=True, help="number,language[,timezone],...")
    create.add_argument("--templates", type=Path, required=True, help="YAML: language: text")
    create.add_argument("--currency", default="VND", help="of {x:money} fields (VND, CNY, USD)")
    create.add_argument("--timezone", default="Asia/Ho_Chi_Minh", help="for lines without one")
    action.add_parser("list", help="campaigns and their numbers per status")
    results = action.add_parser("results", help="what became of each number")
    results.add_argument("name")
    results.add_argument("--csv", action="store_true", help="one line per number, as CSV")
    for verb in ("pause", "resume"):
        action.add_parser(verb, help=f"{verb} dialling a campaign").add_argument("name")
    opt_out = action.add_parser("opt-out", help="never call this number with notices again")
    opt_out.add_argument("number")


def _tickets_parser(sub: Any) -> None:
    tickets = sub.add_parser("tickets", help="messages callers left: list, show, move, escalate")
    action = tickets.add_subparsers(dest="tickets_action", required=True)
    listing = action.add_parser("list", help="tickets, oldest first")
    listing.add_argument("--status", choices=["open", "assigned", "answered", "closed"])
    show = action.add_parser("show", help="one ticket and its events")
    assign = action.add_parser("assign", help="give a ticket to someone")
    answer = action.add_parser("answer", help="record what the caller was told")
    close = action.add_parser("close", help="close a ticket")
    for step in (show, assign, answer, close):
        step.add_argument("reference")
    assign.add_argument("--to", required=True)
    answer.add_argument("--note", required=True)
    close.add_argument("--note")
    for step in (assign, answer, close):
        step.add_argument("--by", help="who does it (default: cli:<user>)")
    action.add_parser("escalate", help="escalate overdue open or assigned tickets now")


def _queues_parser(sub: Any) -> None:
    queues = sub.add_parser("queues", help="queues/*.yaml: check, render Asterisk files, sounds")
    queues.add_argument("action", choices=["check", "render", "sounds"])
    queues.add_argument("--dir", type=Path, help="the queue files (default: settings)")
    queues.add_argument("--etc", type=Path, help="Asterisk's config folder (asterisk/etc)")
    queues.add_argument("--check", action="store_true", help="render: exit 1 if out of date")
    queues.add_argument("--out", type=Path, help="sounds: folder (default asterisk/sounds)")
    queues.add_argument("--language", choices=["vi", "zh", "en"], action="append")


def _kb_parser(sub: Any) -> None:
    kb = sub.add_parser("kb", help="the knowledge base: load, search, export, import, history")
    action = kb.add_subparsers(dest="kb_action", required=True)
    load = action.add_parser("load", help="import knowledge/{vi,zh,en}.yaml (again: no-op)")
    load.add_argument("directory", nargs="?", help="default: IVR_KNOWLEDGE_DIR")
    search = action.add_parser("search", help="the nearest entries and their scores")
    search.add_argument("text")
    search.add_argument("--language", required=True, help="vi, zh or en")
    search.add_argument("--limit", type=int, default=3)
    export = action.add_parser("export", help="every entry to a CSV file ('-': stdout)")
    export.add_argument("file")
    export.add_argument("--language", help="only this language")
    into = action.add_parser("import", help="save the rows of a CSV file (all or none)")
    into.add_argument("file")
    history = action.add_parser("history", help="every version of one entry")
    history.add_argument("key")
    history.add_argument("--language", required=True)
    back = action.add_parser("rollback", help="a new version equal to an old one")
    back.add_argument("key")
    back.add_argument("--language", required=True)
    back.add_argument("--version", type=int, required=True)
    for saving in (load, into, back):
        saving.add_argument("--by", help="who is saving (default: cli:<user>)")
    embed = action.add_parser(
        "embed", help="write the shipped vectors of the seed files' texts (knowledge/embeddings)"
    )
    embed.add_argument("directory", nargs="?", help="default: IVR_KNOWLEDGE_DIR")
    embed.add_argument("--check", action="store_true", help="only check they cover every text")


def _sms_parser(sub: Any) -> None:
    sms = sub.add_parser("sms", help="the SMS outbox: run a worker, send or look up a message")
    action = sms.add_subparsers(dest="sms_action", required=True)
    worker = action.add_parser("worker", help="send queued messages until SIGTERM/SIGINT")
    worker.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds the gateway may take per message (a claim's lease is three of these)",
    )
    worker.add_argument("--poll", type=float, default=1.0, help="seconds between idle looks")
    send = action.add_parser("send", help="queue one message (an admin's test)")
    send.add_argument("--to", required=True, help="mobile number, e.g. 84901234567")
    send.add_argument("--text", required=True)
    send.add_argument("--language", default="vi", choices=["vi", "zh", "en"])
    send.add_argument("--key", help="idempotency key (default: a new one)")
    status = action.add_parser("status", help="a message's status and delivery reports")
    status.add_argument("message_id", type=int)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting that says what it expects
        print(f"ivr: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler = {"serve": _serve, "call": _call, "agi": _agi, "flows": _flows, "db": _db}
    handler["models"] = _models
    handler["prompts"] = _prompts
    handler["seed"] = _seed
    handler["evaluate"] = _evaluate
    handler["sms"] = _sms
    handler["kb"] = _kb
    handler["queues"] = _queues
    handler["tickets"] = _tickets
    handler["admin"] = _admin
    handler["campaigns"] = _campaigns
    return handler[args.command](args, settings)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.app import StartError, start
    from ivr.asr.base import ModelMissing
    from ivr.flow.loader import FlowError

    if args.agi_port is not None:
        settings = replace(settings, agi_port=args.agi_port)
    if args.media_port is not None:
        settings = replace(settings, media_port=args.media_port)
    try:
        running = start(settings)
    except (ModelMissing, FlowError, ValueError, StartError) as exc:
        # a missing speech model (IVR_ASR_MISSING=error), invalid flows, a bad setting, a port
        # in use
        print(f"ivr: cannot start: {exc}", file=sys.stderr)
        return 2
    print(
        f"ivr: FastAGI on {running.agi.host}:{running.agi.port}, "
        f"AudioSocket on {running.media.host}:{running.media.port}, "
        f"admin web on {running.web.url}/admin",
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    running.stop()
    return 0


def _call(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.simulator.caller import HangUp, Listen, Press, Say, read_wav, speech
    from ivr.simulator.simulator import SimulatedCall

    actions: list[Any] = []
    for kind, value in getattr(args, "steps", None) or []:
        if kind == "dtmf":
            actions += [Press(group) for group in value.split(",") if group]
        elif kind == "say":
            actions.append(Say(speech(value, args.say_language), label=f'"{value}"'))
        elif kind == "wav":
            actions.append(Say(read_wav(Path(value)), label=Path(value).name))
        elif kind == "listen":
            actions.append(Listen())
        else:
            actions.append(HangUp(delay=value))
    running = None
    rate = args.rate
    if rate is None:  # --local: both sides here, so faster than real time by default
        rate = SIMULATION_RATE if args.local else settings.media_rate
    try:
        MediaClock(rate)
    except ValueError as exc:
        print(f"ivr call: --rate: {exc}", file=sys.stderr)
        return 2
    if args.local:
        from ivr.app import StartError, start

        # Ports of its own (0: any free one), so it runs beside an `ivr serve` on the defaults.
        local = replace(
            settings,
            agi_port=0,
            media_port=0,
            http_port=0,
            dialplans_dir=args.flows or settings.dialplans_dir,
            media_rate=rate,
        )
        try:
            running = start(local)
        except StartError as exc:
            print(f"ivr: cannot start: {exc}", file=sys.stderr)
            return 2
        address = ("127.0.0.1", running.agi.port)
    else:
        host, _, port = (args.agi or f"{settings.agi_host}:{settings.agi_port}").rpartition(":")
        address = (host or "127.0.0.1", int(port))
    call = SimulatedCall(
        address,
        args.number,
        actions,
        callerid=args.callerid,
        queue_outcomes=args.queue_status,
        rate=rate,
    )
    try:
        result = call.run(timeout=args.timeout)
    finally:
        if running:
            running.stop()
    print(f"uniqueid: {call.uniqueid}")
    print(result.transcript(detail=args.detail))
    print(f"route: {' > '.join(result.route) or '-'}")
    print(f"AGISTATUS: {', '.join(result.agi_status)}")
    return 0 if "FAILURE" not in result.agi_status else 1


def _agi(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.agi.stdio import run_classic
    from ivr.app import build_services

    services = build_services(settings)
    return run_classic(args.script, services.scripts, settings, services)


def _load_flows(directory: Path) -> FlowSet | None:
    """The flows of ``directory``; None, with every problem printed, if a file is invalid."""
    from ivr.agi_scripts import script_outcomes
    from ivr.flow.loader import FlowError, load_flows

    try:
        return load_flows(directory, script_outcomes())
    except FlowError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) in {directory}")
        return None


def _flows(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.flow.hours import holidays_expired
    from ivr.flow.model import HoursNode

    flows = _load_flows(args.directory or settings.dialplans_dir)
    if flows is None:
        return 1
    now = settings.clock()()
    for flow in flows:
        print(f"{flow.id}: {len(flow.nodes)} nodes, numbers {', '.join(flow.numbers)}: ok")
        for node_id, node in flow.nodes.items():
            warning = holidays_expired(node.hours, now) if isinstance(node, HoursNode) else None
            if warning:
                print(f"warning: {flow.source}: node {node_id}: {warning}")
    return 0


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.core.db import migrate

    migrate(settings.db_url)
    print(f"database at {settings.db_url.split('@')[-1]} is up to date")
    return 0


def _models(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.asr.models import command

    return command(args, settings)


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.app import StartError
    from ivr.evaluation.cases import CaseError, Outcome, read_cases
    from ivr.evaluation.report import table
    from ivr.evaluation.runner import evaluate, local_ivr

    try:
        cases = read_cases(args.folder)
    except CaseError as exc:
        print(f"ivr evaluate: {exc}", file=sys.stderr)
        return 2
    if args.flows:
        settings = replace(settings, dialplans_dir=args.flows)
    try:
        running = local_ivr(settings, args.rate)
    except StartError as exc:
        print(f"ivr: cannot start: {exc}", file=sys.stderr)
        return 2

    def show(outcome: Outcome) -> None:
        if args.verbose:
            case = outcome.case
            print(f"{case.file.name}\t{outcome.noise}\t{case.expected}\t{outcome.got}\t"
                  f"{outcome.verdict}", flush=True)  # fmt: skip

    try:
        outcomes = evaluate(running, cases, [None, *args.noise], show)
    finally:
        running.stop()
    print(table(outcomes))
    return 0


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.accounts.seed import seed_demo
    from ivr.core.db import Database, migrate

    if args.count < 0:
        print("ivr seed: --count must be 0 or more", file=sys.stderr)
        return 2
    migrate(settings.db_url)
    database = Database(settings.db_url)
    try:
        added, present = seed_demo(database, args.count, args.random_seed)
    finally:
        database.close()
    print(f"demo persons: {added} added, {present} already there")
    return 0


def _prompts(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.flow.prompts import main as render

    flows = _load_flows(args.flows or settings.dialplans_dir)
    return 1 if flows is None else render(flows, settings, args.language)


def _kb(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.kb.commands import command

    return command(args, settings)


def _sms(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.sms.commands import send, status, worker

    command = {"worker": worker, "send": send, "status": status}[args.sms_action]
    return command(args, settings)


def _tickets(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.tickets.commands import command

    return command(args, settings)


def _campaigns(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.campaigns.commands import command

    return command(args, settings)


def _queues(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.queues.render import command

    return command(args, settings)


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from ivr.admin.users import UserError, Users
    from ivr.core.db import Database, migrate

    migrate(settings.db_url)
    users = Users(Database(settings.db_url), settings.clock())
    if args.admin_action == "list-users":
        for user, disabled in users.listed():
            print(f"{user.username}\t{user.role}\t{'disabled' if disabled else 'active'}")
        return 0
    password = os.environ.get("IVR_ADMIN_PASSWORD", "")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not password:
        import getpass

        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            print("ivr admin: the two passwords differ", file=sys.stderr)
            return 2
    try:
        user = users.create(args.username, password, args.role)
    except UserError as exc:
        print(f"ivr admin: {exc}", file=sys.stderr)
        return 2
    users.audit("cli", "user-create", user.username, user.role)
    print(f"user {user.username} ({user.role}) created")
    return 0


if __name__ == "__main__":
    sys.exit(main())
