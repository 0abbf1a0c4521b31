"""The write path refuses what the actor may not write, before anything is written."""

import pytest
from conftest import NIIGATA, NIIGATA_PLAN, TODAY
from helpers import edited_copy

from kpi.access.permissions import Actor
from kpi.errors import PermissionDenied
from kpi.intake.pipeline import commit, prepare


@pytest.mark.parametrize("actor, allowed", [
    (Actor("閲覧者", "viewer"), False),
    (Actor("他課", "editor", ("財政課",)), False),
    (Actor("担当", "editor", ("中央公民館",)), True),
    (Actor("管理者", "admin"), True),
])
def test_who_may_update_no28(niigata_store, tmp_path, actor, allowed):
    fixed = edited_copy(NIIGATA, tmp_path / "fixed.xlsx", {("No.28(H27-28)", "G14"): "49"})
    prep = prepare(niigata_store, fixed, plan_name=NIIGATA_PLAN, today=TODAY)
    if allowed:
        (res,) = commit(niigata_store, [prep], actor)
        assert niigata_store.uploads()[0].uploaded_by == actor.name
    else:
        with pytest.raises(PermissionDenied):
            commit(niigata_store, [prep], actor)
        assert len(niigata_store.uploads()) == 1


def test_editor_cannot_create_a_plan(store):
    prep = prepare(store, NIIGATA, plan_name=NIIGATA_PLAN, today=TODAY)
    with pytest.raises(PermissionDenied):
        commit(store, [prep], Actor("担当", "editor", ("市民協働課",)))
    assert store.is_empty()
