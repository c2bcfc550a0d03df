"""The intake pipeline: a batch of raw items → stored messages → understood, routed cases.

A batch goes through NAMED STAGES, each one function over the whole batch, one module each, in the
order of :data:`~.runner.STAGES`::

    normalize → dedup → relevance → categorize → place → similar → route → decide → persist

=============  ==================  ===========================================================
stage          module              what it does
=============  ==================  ===========================================================
normalize      :mod:`.normalize`   validates an item against the schema (:mod:`.schema`), tokenizes
dedup          :mod:`.dedup`       drops a redelivery; the same text attaches to an open case
relevance      :mod:`.understand`  spam, adverts and off-topic posts are kept without a case
categorize     :mod:`.understand`  category with confidence, urgency and tone
place          :mod:`.understand`  territory, address, point
similar        :mod:`.similar`     near-duplicates, reposts and quotes attach to their case
route          :mod:`.route`       the agency of a routing rule, or a suggestion for the moderator
decide         :mod:`.decide`      assigned at once when confident and routed, else moderation
persist        :mod:`.persist`     cases, messages and similarity keys written in bulk
=============  ==================  ===========================================================

``decide`` comes before ``persist`` and only decides: the case is opened by
:func:`otklik.cases.actions.open_cases` in ``persist`` (an action works on a stored case), where an
assignment starts its deadline. :mod:`.runner` holds the list and runs it (:func:`run_batch`);
adding a stage is one function and one line there.

**Idempotency.** The same (source, external_id) delivered again — in a later batch or twice in one —
is a no-op counted as a duplicate; under concurrency the unique constraint decides (the loser's
insert is rolled back to a savepoint and counted as a duplicate). A message whose normalized text
equals (``text_hash``) that of a message of an open case posted within 3 days attaches to that case
(message and distinct-author counters refreshed); so does its twin later in the same batch.

**Decisions.** Irrelevant messages are stored (``is_relevant=False``) without a case. A new case
gets the suggestions (category, territory, agency), the confidence and an ``understanding`` JSON; it
is assigned automatically when the confidence reaches ``settings.OTKLIK_AUTO_ROUTE_CONFIDENCE``, the
category is set and a routing rule finds an agency; otherwise it goes to moderation.

**One process or many, the same result.** On PostgreSQL the runner understands a batch (normalize,
relevance, categorize, place) outside the transaction, in parallel on every worker, and then decides
(dedup onwards) one batch at a time, in the order the batches were sent: two workers make exactly
the cases, joins and dead letters of one process (:mod:`.order`). Before its turn a batch also skips
understanding the messages dedup already finds repeating a stored one (understood in the turn if
they no longer do) and reads the stored similarity keys its candidates come from (only those stored
since are read in the turn).

Files are read by :mod:`otklik.intake.ingest`, dead letters kept and replayed by
:mod:`otklik.intake.deadletters`, batches sent to Celery workers by :mod:`otklik.intake.tasks`.
"""

from .runner import STAGES, run_batch, warm_up
from .schema import BatchResult, InvalidItem, Stage, both_languages, client_reason

__all__ = [
    "STAGES",
    "BatchResult",
    "InvalidItem",
    "Stage",
    "both_languages",
    "client_reason",
    "run_batch",
    "warm_up",
]
