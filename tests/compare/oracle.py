"""What the list should show, computed from /platforms.json alone: the tests' oracle for the
plan-matched needs filter (issue 11's definition of done)."""

from platforms.models import NEED_MET_BY, State


def expected_slugs(dataset, needs, vendor_only=False):
    """The platforms with a plan (or, without plans, facts) meeting every need."""
    met_by = {c["slug"]: NEED_MET_BY[State(c["recommended"])] for c in dataset["criteria"]}
    listed = set()
    for platform in dataset["platforms"]:
        facts = platform["facts"]
        for plan in [p["slug"] for p in platform["plans"]] or [None]:
            if all(meets(facts.get(need), plan, met_by[need], vendor_only) for need in needs):
                listed.add(platform["slug"])
                break
    return listed


def meets(fact, plan, met_by, vendor_only):
    if fact is None or (vendor_only and fact["strength"] != "vendor"):
        return False
    state = fact["by_plan"][plan] if plan else fact["state"]
    return state in met_by
