"""What every activity call runs inside, whatever its step: its log context bound and its
errors classified for Temporal's retry policy (activities/errors.py).

The context is the account and venue, the workflow id, the activity and its attempt, and
what the request says of the call (``ActivityRequest.subject``): the cycle, the client order
id and the symbol. Every worker that runs these activities registers ``StepContext`` beside
them (worker.py, the tests' workers), so a step's own code holds none of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from activities.errors import classified
from rebalancer.pipeline.messages import ActivityRequest, Subject


class StepContext(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _InStepContext(next)


class _InStepContext(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        subject = _subject(input.args)
        with structlog.contextvars.bound_contextvars(**log_context(activity.info(), subject)):
            async with classified(subject.symbol if subject is not None else None):
                return await self.next.execute_activity(input)


def log_context(info: activity.Info, subject: Subject | None) -> dict[str, object]:
    context: dict[str, object] = {}
    if subject is not None:
        context |= {"account": subject.account.account_id, "venue": subject.account.venue}
    context |= {
        "workflow_id": info.workflow_id,
        "activity": info.activity_type,
        "attempt": info.attempt,
    }
    if subject is not None:
        named = {
            "cycle": subject.cycle,
            "client_order_id": subject.client_order_id,
            "symbol": subject.symbol,
        }
        context |= {key: value for key, value in named.items() if value is not None}
    return context


def _subject(args: Sequence[Any]) -> Subject | None:
    request = args[0] if args else None
    return request.subject() if isinstance(request, ActivityRequest) else None
