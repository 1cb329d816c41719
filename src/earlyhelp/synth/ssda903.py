"""The SSDA903 detail of synthetic England: what an LA's looked-after return holds beyond the
episodes' core (provider, URN, reason for placement change, motherhood, and the identifiers:
postcodes and a mother's child's date of birth).

``motherhood`` fills ``children.mother`` and gives each mother's child's date of birth;
``episode_details`` fills the optional columns of ``looked_after_episodes`` (placement_provider,
reason_place_change, urn) and builds ``episode_postcodes`` (identity zone: home and placement
postcodes, the mother's child's date of birth on each of her episodes), so that ``earlyhelp
export --to ssda903`` writes a return the DfE's own rules (csc-validator-be-903) accept. Each choice follows the rules that
tie the fields together (rule numbers in the comments) and a plausible picture of care in
England; the shares are round figures chosen to be plausible, not fitted to published data:

* **Home postcode** (HOME_POST): the child's true family postcode (a real one, from
  ``synth.identities``) on every episode; none under short-break legal statuses V3/V4 (398).
* **Placement postcode** (PL_POST): a real postcode from :func:`earlyhelp.reference.postcodes`.
  Placed with parents (P1) is at home (392d allows that only for P1); the LA's own provision
  (PR1) is inside the LA (1015); another LA's provision (PR2) is in another LA of the same
  region; private, voluntary and other public providers, and placements with no provider
  (T0-T4, Z1), are inside the LA for ``PROVIDER_INSIDE_LA`` of placements and in another LA of
  the region otherwise. With the provider mix below, about 70% of placements are inside the LA
  (measured on the North East at full size); the share is not fitted to DfE's published
  placement-location figures. Never the home postcode except P1, and never the
  previous placement's postcode after a change of placement (435). None under V3/V4 (214).
* **Placement provider** (PLACE_PROVIDER) by placement type: ``PROVIDERS`` (PR0 only with P1,
  550/527-531; none for temporary placements T0-T4 and Z1, 213/178; PR3 never for foster,
  adoption or children's homes, 529).
* **URN**: an Ofsted-style social care URN (``SC`` and six digits) for placements Ofsted
  registers (218): one per LA for its own fostering and adoption services, a small pool of
  agencies and homes per LA otherwise; a six-digit school URN for residential schools (S1);
  none for placements the DfE exempts (222: H5, P1-P3, R1, R2, R5, T0-T4, Z1).
* A change of legal status only (RNE L) keeps placement, postcode, provider and URN (434).
* **Reason for placement change** (REASON_PLACE_CHANGE) on an episode that ends (X1) in a
  change of placement (225), not when either placement is temporary (226); codes by
  ``REASON_PLACE_CHANGE_SHARES``, change of care plan the most common.
* **MOTHER** 0 for every girl looked after other than on short breaks (393, 607), blank for
  boys (165, 174) and short-break-only children (399). ``MOTHER_SHARE`` of girls aged 15 or
  more during their first episode (and never on short breaks) are mothers: MC_DOB falls
  after their 15th birthday (620, 621), in the two years before that episode or during it, and
  never after the episode ends (625).
"""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.synth.tables import build

SHORT_BREAKS = ("V3", "V4")
TEMPORARY = ("T0", "T1", "T2", "T3", "T4")
NO_PROVIDER = TEMPORARY + ("Z1",)
# DfE: no URN for these placement types (rule 222); the others need one (rule 218).
NO_URN = ("H5", "P1", "P2", "P3", "R1", "R2", "R5") + NO_PROVIDER
SCHOOL = ("S1",)
FOSTER_OR_ADOPTION = ("A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6")
_KINSHIP = {"PR1": 0.97, "PR4": 0.03}
_FOSTER = {"PR1": 0.55, "PR4": 0.40, "PR5": 0.05}
_ADOPTION = {"PR1": 0.60, "PR2": 0.20, "PR5": 0.20}
# Placement type -> share of each provider (SSDA903 PLACE_PROVIDER codes).
PROVIDERS: dict[str, dict[str, float]] = {
    "U1": _KINSHIP,
    "U2": _KINSHIP,
    "U3": _KINSHIP,
    "U4": _FOSTER,
    "U5": _FOSTER,
    "U6": _FOSTER,
    "A3": _ADOPTION,
    "A4": _ADOPTION,
    "A5": _ADOPTION,
    "A6": _ADOPTION,
    "K1": {"PR2": 0.60, "PR1": 0.20, "PR4": 0.20},
    "K2": {"PR4": 0.80, "PR1": 0.15, "PR5": 0.05},
    "H5": {"PR4": 0.60, "PR1": 0.30, "PR5": 0.10},
    "R1": {"PR4": 0.70, "PR5": 0.20, "PR1": 0.10},
    "R2": {"PR3": 1.0},
    "R3": {"PR4": 0.60, "PR5": 0.30, "PR1": 0.10},
    "R5": {"PR3": 1.0},
    "S1": {"PR3": 0.50, "PR4": 0.40, "PR5": 0.10},
    "P1": {"PR0": 1.0},
    "P2": {"PR1": 0.50, "PR4": 0.40, "PR5": 0.10},
    "P3": {"PR4": 1.0},
}
PROVIDER_INSIDE_LA = 0.35  # PR3, PR4, PR5 and no-provider placements inside the child's own LA
REASON_PLACE_CHANGE_SHARES = {
    "CARPL": 0.45,
    "CREQB": 0.10,
    "CREQO": 0.08,
    "CHILD": 0.06,
    "LAREQ": 0.06,
    "PLACE": 0.04,
    "CLOSE": 0.03,
    "STAND": 0.02,
    "ALLEG": 0.02,
    "APPRR": 0.02,
    "CUSTOD": 0.02,
    "OTHER": 0.10,
}
MOTHER_SHARE = 0.04
URN_POOL = 25  # agencies and homes an LA places with, per placement type and provider


def motherhood(
    episodes: pa.Table, children: pa.Table, rng: np.random.Generator, *, extract_day: int
) -> tuple[pa.Table, pa.Table]:
    """``children`` (the EHLD table) with ``mother`` filled for looked-after girls, and each
    mother's child's date of birth (child_id, mother_child_dob), given the looked-after
    ``episodes`` (the EHLD table). ``extract_day`` (days since 1970) ends an open episode."""
    order = np.lexsort((_days(episodes, "start_date"), _strings(episodes, "child_id")))
    child = _strings(episodes, "child_id")[order]
    start = _days(episodes, "start_date")[order]
    end = _days(episodes, "end_date", missing=extract_day)[order]
    short_break = np.isin(_strings(episodes, "legal_status")[order], SHORT_BREAKS)
    first = np.ones(len(child), dtype=bool)
    first[1:] = child[1:] != child[:-1]
    ids = child[first]
    starts = np.flatnonzero(first)
    ever_short = np.logical_or.reduceat(short_break, starts) if len(child) else np.zeros(0, bool)
    always_short = np.logical_and.reduceat(short_break, starts) if len(child) else np.zeros(0, bool)
    sex = _lookup(ids, children, "child_id", "sex")
    girl = (sex == "F") & ~always_short
    months = _lookup(ids, children, "child_id", "birth_month").astype("U7")
    # The 1st of the month after the 15th birthday month: on or after the true 15th birthday.
    fifteen = (np.array(months, dtype="datetime64[M]") + 15 * 12 + 1).astype("datetime64[D]").astype(np.int64)
    window_from = np.maximum(fifteen, start[first] - 730)
    window_to = end[first]
    eligible = girl & ~ever_short & (window_to > window_from)
    mother = eligible & (rng.random(len(ids)) < MOTHER_SHARE)
    birth = window_from + (rng.random(len(ids)) * np.maximum(window_to - window_from, 1)).astype(np.int64)
    # Boys and short-break-only girls have no MOTHER (null); looked-after girls true or false.
    mother_of = pa.array(mother, pa.bool_(), mask=~girl)
    position = pc.index_in(children.column("child_id"), value_set=pa.array(ids, pa.string()))
    filled = children.set_column(children.schema.get_field_index("mother"), "mother", pc.take(mother_of, position))
    mothers = pa.table(
        {
            "child_id": pa.array(ids[mother], pa.string()),
            "mother_child_dob": pa.array(birth[mother].astype(np.int32), pa.int32()).cast(pa.date32()),
        }
    )
    return filled, mothers


def episode_details(
    episodes: pa.Table, home_postcodes: pa.Table, mothers: pa.Table, rng: np.random.Generator
) -> tuple[pa.Table, pa.Table]:
    """``episodes`` (the EHLD looked_after_episodes) with placement_provider,
    reason_place_change and urn filled, and its ``episode_postcodes`` rows, given each child's
    true home postcode (``home_postcodes``: child_id, home_postcode) and the mothers' children's
    dates of birth (``mothers``, from :func:`motherhood`). The same inputs and ``rng`` state give
    the same tables."""
    from earlyhelp.reference import local_authorities
    from earlyhelp.synth.identities import real_postcodes

    order = np.lexsort((_days(episodes, "start_date"), _strings(episodes, "child_id")))
    sorted_episodes = episodes.take(pa.array(order))
    child = _strings(sorted_episodes, "child_id")
    la = _strings(sorted_episodes, "la_code")
    rne = _strings(sorted_episodes, "reason_new_episode")
    legal = _strings(sorted_episodes, "legal_status")
    place = _strings(sorted_episodes, "placement")
    ceased = _strings(sorted_episodes, "reason_ceased")
    n = len(child)
    if n == 0:
        return episodes, build("episode_postcodes", {"la_code": pa.array([], pa.string())})
    same_child_as_previous = np.zeros(n, dtype=bool)
    same_child_as_previous[1:] = child[1:] == child[:-1]
    short_break = np.isin(legal, SHORT_BREAKS)

    # A legal-status-only change (L) keeps the placement's details: each episode takes them
    # from the latest episode of the child that was not such a change (rule 434).
    kept_from = np.where((rne == "L") & same_child_as_previous, -1, np.arange(n))
    kept_from = np.maximum.accumulate(kept_from)

    home = _lookup(child, home_postcodes, "child_id", "home_postcode")
    provider = _draw_by_group(rng, place, PROVIDERS)
    region_las = _other_las_in_region(local_authorities(), la)
    # Own provision inside the LA, another LA's outside it, the rest (other public, private,
    # voluntary, and placements with no provider) inside for PROVIDER_INSIDE_LA of them.
    inside = (provider == "PR1") | (~np.isin(provider, ("PR0", "PR1", "PR2")) & (rng.random(n) < PROVIDER_INSIDE_LA))
    other = region_las[np.arange(n), (rng.random(n) * region_las.shape[1]).astype(np.int64)]
    placed_la = np.where(inside | (provider == "PR0"), la, other)
    all_las = np.unique(np.concatenate([la, placed_la]))
    draw = rng.integers(0, 2**40, n)
    with_parents = place == "P1"
    located = ~short_break & ~with_parents
    placed_at = np.full(n, None, dtype=object)
    for _ in range(20):  # a clash needs a new draw; rarely more than one round
        if located.any():
            placed_at[located] = real_postcodes(placed_la[located], all_las, draw[located])
        placed_at[with_parents & ~short_break] = home[with_parents & ~short_break]
        placed_at = placed_at[kept_from]
        previous = np.concatenate([[None], placed_at[:-1]])
        clash = (
            located
            & (kept_from == np.arange(n))
            & ((placed_at == home) | (same_child_as_previous & (placed_at == previous)))
        )
        if not clash.any():
            break
        draw[clash] += 1
    urn = _urns(rng, place, provider, placed_la)
    provider, urn = provider[kept_from], urn[kept_from]

    nxt = np.arange(1, n + 1).clip(max=n - 1)
    has_next = np.concatenate([same_child_as_previous[1:], [False]])
    moves = (
        has_next
        & (ceased == "X1")
        & np.isin(rne[nxt], ("P", "B", "T", "U"))
        & ~np.isin(place, TEMPORARY)
        & ~np.isin(place[nxt], TEMPORARY)
    )
    reason = _draw(rng, REASON_PLACE_CHANGE_SHARES, n).astype(object)
    reason[~moves] = None

    # Back to the input's row order.
    back = np.argsort(order)
    for name, values in (
        ("placement_provider", provider),
        ("reason_place_change", reason),
        ("urn", _blank_where(short_break, urn)),
    ):
        episodes = episodes.set_column(
            episodes.schema.get_field_index(name), name, pa.array(list(values[back]), pa.string())
        )

    home_post = pa.array(list(_blank_where(short_break, home)), pa.string())
    placement_post = pa.array(list(placed_at), pa.string())
    # A mother's child's date of birth on each of her episodes.
    mother_position = pc.index_in(pa.array(child, pa.string()), value_set=mothers.column("child_id").combine_chunks())
    baby = mothers.column("mother_child_dob").combine_chunks().take(mother_position)
    valid = [pc.is_valid(values).to_numpy(zero_copy_only=False) for values in (home_post, placement_post, baby)]
    held = pa.array(np.flatnonzero(np.logical_or.reduce(valid)))
    postcodes = build(
        "episode_postcodes",
        {
            "la_code": sorted_episodes.column("la_code").take(held),
            "child_id": sorted_episodes.column("child_id").take(held),
            "start_date": sorted_episodes.column("start_date").take(held),
            "home_postcode": home_post.take(held),
            "placement_postcode": placement_post.take(held),
            "mother_child_dob": baby.take(held),
        },
    )
    return episodes, postcodes


def _urns(rng, place: np.ndarray, provider: np.ndarray, placed_la: np.ndarray) -> np.ndarray:
    """Ofsted-style URNs: the same provider gives the same URN to every child it takes."""
    n = len(place)
    pool = rng.integers(0, URN_POOL, n)
    # An LA's own fostering and adoption services are one registered service each.
    own_service = (provider == "PR1") & np.isin(place, FOSTER_OR_ADOPTION)
    pool[own_service] = 0
    # One service for all foster (U*) or all adoption (A*) placement types.
    kind = np.where(np.isin(place, FOSTER_OR_ADOPTION), place.astype("U1"), place.astype("U2"))
    keys = np.char.add(np.char.add(np.char.add(placed_la.astype("U9"), kind), provider.astype("U3")), pool.astype("U2"))
    distinct, index = np.unique(keys, return_inverse=True)
    number = np.array([zlib.crc32(key.encode()) % 1_000_000 for key in distinct], dtype=np.int64)
    school = np.char.add("1", np.char.zfill((number % 50_000).astype("U5"), 5))
    social_care = np.char.add("SC", np.char.zfill(number.astype("U6"), 6))
    urn = np.where(np.isin(place, SCHOOL), school[index], social_care[index]).astype(object)
    urn[np.isin(place, NO_URN)] = None
    return urn


def _other_las_in_region(las, la: np.ndarray) -> np.ndarray:
    """For each episode's LA, the other LAs of its region (a row per episode, padded by
    repeating; the LA itself when the reference does not know it or it is alone)."""
    region_of = dict(zip(las["la_code"], las["region_code"]))
    by_region: dict[str, list[str]] = {}
    for code, region in sorted(region_of.items()):
        by_region.setdefault(region, []).append(code)
    distinct, index = np.unique(la, return_inverse=True)
    rows = []
    for code in distinct:
        others = [c for c in by_region.get(region_of.get(code, ""), []) if c != code] or [code]
        rows.append(others)
    width = max(len(r) for r in rows) if rows else 1
    padded = np.array([[r[i % len(r)] for i in range(width)] for r in rows], dtype=object)
    return padded[index] if len(la) else np.zeros((0, width), dtype=object)


def _draw_by_group(rng, group: np.ndarray, shares: dict[str, dict[str, float]]) -> np.ndarray:
    out = np.full(len(group), None, dtype=object)
    u = rng.random(len(group))
    for key, options in shares.items():
        idx = np.flatnonzero(group == key)
        if len(idx):
            out[idx] = _pick(options, u[idx])
    return out


def _draw(rng, shares: dict[str, float], n: int) -> np.ndarray:
    return _pick(shares, rng.random(n))


def _pick(shares: dict[str, float], u: np.ndarray) -> np.ndarray:
    names = np.array(list(shares), dtype=object)
    edges = np.cumsum(list(shares.values()))
    return names[np.minimum(np.searchsorted(edges / edges[-1], u, side="right"), len(names) - 1)]


def _lookup(keys: np.ndarray, table: pa.Table, key: str, value: str) -> np.ndarray:
    position = pc.index_in(pa.array(keys, pa.string()), value_set=table.column(key).combine_chunks())
    return table.column(value).combine_chunks().take(position).to_numpy(zero_copy_only=False)


def _strings(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).combine_chunks().to_numpy(zero_copy_only=False).astype(object)


def _days(table: pa.Table, name: str, missing: int = 0) -> np.ndarray:
    days = table.column(name).combine_chunks().cast(pa.int32())
    return pc.fill_null(days, missing).to_numpy().astype(np.int64)


def _blank_where(blank: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` as Python objects, None where ``blank`` is true."""
    out = values.astype(object)
    out[blank] = None
    return out


__all__ = ["episode_details", "motherhood"]
