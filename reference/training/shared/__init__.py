"""Training on Shamir shares across the job's vendors, with MPyC; see
``docs/reference-privacy.md`` and decisions 0030 and 0080.

* :mod:`.field` — the field, Q16 encoding, dealing and recombining (``mpyc.thresha``);
* :mod:`.hooks` — the one adapter over MPyC's private attributes;
* :mod:`.program` — a vendor's step on shares, its view and its commitments;
* :mod:`.party` / :mod:`.launcher` — the vendor processes on 127.0.0.1 and the referee's replay;
* :mod:`.checks` — the sender checks each vendor commits per step (its check record);
* :mod:`.accountability` — public checks and the referee;
* :mod:`.session` — deal, run, audit, settle, open.
"""
