"""Pre-trade checks every order passes (issue 17): pure functions, one module per family.

`engine/orders/gate.py` gathers what they need for one order and runs them; each refusal is a `Decision`
with a rule `risk.<check>` and a reason a trader can read.
"""
