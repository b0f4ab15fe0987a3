"""``repdesk demo`` and ``repdesk eval``."""

from __future__ import annotations

import argparse
import asyncio
import json

from repdesk.cli import command
from repdesk.config import Settings


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--email", default="demo@repdesk.local")
    p.add_argument("--password", default="demo password 123")
    p.add_argument("--business", default="Tee's Closet Lagos")


@command("demo", "load a sample business (knowledge, FAQs, policies, catalog, style)", _demo_args)
def demo_cmd(args: argparse.Namespace, settings: Settings) -> int:
    from repdesk import vault
    from repdesk.accounts import service as accounts
    from repdesk.ai.demo import load_demo
    from repdesk.cli import _upgrade
    from repdesk.db.engine import Database

    vault.init(settings.secret_key, settings.data_dir)
    _upgrade(settings)

    async def main() -> int:
        db = Database(settings.resolved_database_url)
        try:
            async with db.transaction() as session:
                user = await accounts.get_user_by_email(session, args.email)
                if user is None:
                    user, ws = await accounts.register(
                        session,
                        email=args.email,
                        password=args.password,
                        business_name=args.business,
                        verified=True,
                        send_email=False,
                    )
                    ws_id = ws.id
                else:
                    from sqlalchemy import select

                    from repdesk.accounts.models import Membership

                    ws_id = str(
                        await session.scalar(
                            select(Membership.workspace_id).where(Membership.user_id == user.id)
                        )
                    )
                assistant = await load_demo(session, workspace_id=ws_id)
            print(f"demo business loaded: assistant {assistant.id} in workspace {ws_id}")
            print(f"log in as {args.email} and open /assistants/{assistant.id}")
            return 0
        finally:
            await db.dispose()

    return asyncio.run(main())


def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        choices=("v1", "v2"),
        default="v2",
        help="v2 (default): businesses the engine was not written for, taught and asked "
        "through the API; v1: the demo business's original set",
    )
    p.add_argument(
        "--split",
        choices=("tune", "heldout", "all", "probes"),
        default="heldout",
        help="v2: which businesses (tune on 'tune', report on 'heldout'; 'probes': order "
        "wordings written while tuning, a tune-side check)",
    )
    p.add_argument("--business", action="append", help="v2: only this business id (repeatable)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--failures", action="store_true", help="list the cases that failed")
    p.add_argument(
        "--check",
        action="store_true",
        help="v2: exit 1 when a target is missed (otherwise only runner errors fail)",
    )
    p.add_argument(
        "--db",
        action="store_true",
        help="v1: load the demo business into a temporary database and answer through the real "
        "knowledge/catalog services (BM25 + embeddings when installed); v2 always does",
    )


@command("eval", "run the assistant's evaluation (v2 business sets, or v1)", _eval_args)
def eval_cmd(args: argparse.Namespace, settings: Settings) -> int:
    if args.set == "v1":
        return _eval_v1(args, settings)
    import sys

    from repdesk import vault
    from repdesk.ai.eval.v2 import RunnerError, dumps, format_report, run_v2

    vault.init(settings.secret_key, settings.data_dir)
    try:
        report = asyncio.run(run_v2(args.split, businesses=args.business, settings=settings))
    except RunnerError as exc:
        print(f"evaluation could not run: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(dumps(report, failures=args.failures))
    else:
        print(format_report(report, failures=args.failures))
    return 1 if args.check and report.missed_targets() else 0


def _eval_v1(args: argparse.Namespace, settings: Settings) -> int:
    from repdesk import vault
    from repdesk.ai.eval.runner import FLOOR, run_eval, run_eval_db

    if args.db:
        vault.init(settings.secret_key, settings.data_dir)
    report = asyncio.run(run_eval_db() if args.db else run_eval())
    metrics = report.metrics()
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        where = "database + knowledge services" if args.db else "in memory"
        print(
            f"evaluation set v{report.version} ({where}): {report.cases} cases, "
            f"{report.replies} replies"
        )
        print(f"  answer accuracy        {metrics['answer_accuracy']:.1%}")
        print(f"  invented-amount rate   {metrics['invented_amount_rate']:.1%}")
        print(f"  correct 'I don't know' {metrics['idk_rate']:.1%}")
        print(f"  order exactness        {metrics['order_exactness']:.1%}")
        print(f"  handoff precision      {metrics['handoff_precision']:.1%}")
        print(f"  handoff recall         {metrics['handoff_recall']:.1%}")
        print(f"  injection refusals     {metrics['injection_refusals']:.1%}")
        print(f"  reply latency p50/p99  {metrics['p50_ms']:.2f} ms / {metrics['p99_ms']:.2f} ms")
        print(f"  floor: {FLOOR}")
    if args.failures:
        for f in report.failures:
            print(f"FAIL {f.id}: {f.replies[-1:]} {f.invented}")
    below = report.below_floor()
    if below:
        print("BELOW FLOOR: " + "; ".join(below))
        return 1
    return 0
