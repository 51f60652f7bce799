"""How `make test` hands test files to its xdist workers.

Some files mostly wait: for a throttling window to slide, for npm or pip to fetch packages, for a
kernel list that a test server answers late. Two of them side by side left this 2-core machine
idle (under 10 % busy for 13 s in one measured run); next to a file that keeps the processor
busy, their waits cost nothing. So one worker at a time runs the waiting files, one after the
other, while the others take the rest. Files still go whole to one worker (`--dist loadfile`: a
notebook's cells share a kernel, a module its fixtures), in the order the workers collected them
(conftest.py's `_schedule`).
"""

from __future__ import annotations

from collections.abc import Callable

from xdist.scheduler import LoadFileScheduling


class WaitingFilesAlongside(LoadFileScheduling):
    """xdist's `loadfile` scheduling, choosing which file a worker gets next: a waiting one
    when no other worker has one, otherwise one that works."""

    def __init__(self, config, log, waits: Callable[[str], bool]) -> None:
        super().__init__(config, log)
        self.waits = waits

    def next_file(self, node) -> str:
        """The file (xdist's scope) `node` should run next: the first in the queue of the kind
        it should take, or the first of any kind when none of that kind is left."""
        waiting_elsewhere = any(
            self.waits(scope) and not all(done.values())
            for other, work in self.assigned_work.items()
            if other is not node
            for scope, done in work.items()
        )
        for scope in self.workqueue:
            if self.waits(scope) != waiting_elsewhere:
                return scope
        return next(iter(self.workqueue))

    def _assign_work_unit(self, node) -> None:
        self.workqueue.move_to_end(self.next_file(node), last=False)
        super()._assign_work_unit(node)

    def _reschedule(self, node) -> None:
        # xdist gives a worker its next file when 2 of its tests are left; here only when the
        # last one is (a worker waits to know its next test before it runs one): the choice
        # is made as late as it can be, when it knows what the other workers are running.
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) <= 1:
            self._assign_work_unit(node)
