"""Business flows over video, as pure state machines plus one async executor.

- :mod:`~video_bank.flows.machine` — :class:`Flow`: the common start (consent, identification,
  verification), the policy gate, the end (rating, wrap-up) and the routing of inputs;
- one definition per business: :mod:`~video_bank.flows.activation`,
  :mod:`~video_bank.flows.password_reset`, :mod:`~video_bank.flows.info_update`,
  :mod:`~video_bank.flows.corporate_willingness` (with :mod:`~video_bank.flows.script`),
  :mod:`~video_bank.flows.card_review`; :func:`create_flow` picks one;
- :mod:`~video_bank.flows.inputs`, :mod:`~video_bank.flows.outputs`, :mod:`~video_bank.flows.commands`,
  :mod:`~video_bank.flows.steps` — the vocabulary; :mod:`~video_bank.flows.policy` — the gate;
- :mod:`~video_bank.flows.executor` — :class:`FlowExecutor`, which runs commands against
  :class:`~video_bank.core_banking.store.CoreBankingStore` and writes the event log;
  :mod:`~video_bank.flows.report` — :class:`FlowReport`, what it hands back.

See docs/flows.md.
"""

from video_bank.flows.executor import FlowExecutor
from video_bank.flows.machine import Flow, FlowLimits
from video_bank.flows.registry import create_flow
from video_bank.flows.report import FlowReport

__all__ = ["Flow", "FlowExecutor", "FlowLimits", "FlowReport", "create_flow"]
