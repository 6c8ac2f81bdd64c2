"""Network proximity to confirmed cases over the company–person–address–owner graph.

Companies are linked through entities they share: current or recent directors and other officers, the
registered address, and owners. Seeds are companies with a confirmed case closed on or before the as-of date.
Hubs (an entity shared by more than ``HUB_DEGREE`` companies, in practice large domicile providers) count for
direct links but are not passed through for two-hop links, as analysts' network drawings don't either.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from features._context import Context

RECENT_YEARS = 3
HUB_DEGREE = 50
DAMPING = 0.85
ITERATIONS = 100


def incidence(ctx: Context, addresses: bool = True) -> sp.csr_matrix:
    """Company × entity incidence (0/1): persons, then addresses (unless ``addresses`` is off), then owners."""
    since = ctx.years_before(RECENT_YEARS)
    off = ctx.officers[ctx.officers.end_on.isna() | (ctx.officers.end_on > since)]
    own = ctx.ownerships[ctx.ownerships.end_on.isna() | (ctx.ownerships.end_on > since)]
    co = ctx.companies
    live = co.dissolved_on.isna() | (co.dissolved_on > since)
    n_p = int(off.pid.max()) + 1 if len(off) else 0
    n_a = int(co.aid.max()) + 1 if len(co) else 0
    n_o = int(ctx.ownerships.oid.max()) + 1 if len(ctx.ownerships) else 0
    owner_company = own[own.owner_cid >= 0]
    at = co[live] if addresses else co.iloc[:0]
    rows = np.concatenate([off.cid, at.cid, own.cid, owner_company.owner_cid]).astype(np.int64)
    cols = np.concatenate([off.pid, n_p + at.aid, n_p + n_a + own.oid, n_p + n_a + owner_company.oid]).astype(np.int64)
    a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(ctx.n, n_p + n_a + n_o))
    a.sum_duplicates()
    a.data[:] = 1.0
    return a


def _count_without_self(m: sp.spmatrix, seeds: np.ndarray, n: int) -> np.ndarray:
    coo = sp.coo_matrix(m)
    keep = (coo.data > 0) & (coo.row != seeds[coo.col])
    return np.bincount(coo.row[keep], minlength=n).astype(np.float64)


def network(ctx: Context) -> dict[str, np.ndarray]:
    """Label propagation from confirmed cases, and the make-up of the company's circle of people and owners."""
    return {**_propagation(ctx), **circle(ctx)}


def circle(ctx: Context) -> dict[str, np.ndarray]:
    """Companies sharing a person or owner with this one (not a hub), and how many of them look hollow.

    These need no case at all: a network's companies share straw men, principals and holding shells whether or
    not any of them was ever investigated, and its shells sit at domicile addresses and die young. Addresses are
    left out here, so a busy office building does not make its tenants a circle.
    """
    n = ctx.n
    a = incidence(ctx, addresses=False)
    degree = np.asarray(a.sum(axis=0)).ravel()
    a = (a @ sp.diags((degree <= HUB_DEGREE).astype(np.float64))).tocsr()
    a.eliminate_zeros()
    linked = (a @ a.T).tocsr()
    linked.setdiag(0.0)
    linked.eliminate_zeros()
    linked.data[:] = 1.0
    co = ctx.companies
    since = ctx.years_before(RECENT_YEARS)
    domicile = (co.address_type == "domicile_flex").to_numpy(dtype=np.float64)
    insolvent = np.zeros(n)
    recent = ctx.insolvencies[ctx.insolvencies.declared_on > since]
    insolvent[np.unique(recent.cid.to_numpy())] = 1.0
    young = (co.founded_on > since).to_numpy(dtype=np.float64)
    return {
        "linked_companies": np.asarray(linked.sum(axis=1)).ravel(),
        "linked_domicile_companies": linked @ domicile,
        "linked_insolvent_3y": linked @ insolvent,
        "linked_young_companies": linked @ young,
    }


def _propagation(ctx: Context) -> dict[str, np.ndarray]:
    """Distinct confirmed companies one and two hops away, and personalised PageRank from them."""
    n, seeds = ctx.n, ctx.seeds
    if len(seeds) == 0:
        zeros = np.zeros(n)
        return {
            "linked_confirmed_1hop": zeros,
            "linked_confirmed_2hop": zeros.copy(),
            "ppr_confirmed": zeros.copy(),
            "linked_confirmed_people": zeros.copy(),
        }
    people = incidence(ctx, addresses=False)
    by_people = (people @ people[seeds].T).tocsr()
    a = incidence(ctx)
    one_full = (a @ a[seeds].T).tocsr()
    degree = np.asarray(a.sum(axis=0)).ravel()
    a_nh = a @ sp.diags((degree <= HUB_DEGREE).astype(np.float64))
    one_nh = (a_nh @ a_nh[seeds].T).tocsr()
    one_nh.data[:] = 1.0
    two = (a_nh @ (a_nh.T @ one_nh)).tocsr()
    two.data[:] = 1.0
    reached_one = one_full.copy()
    reached_one.data[:] = 1.0
    exactly_two = two - two.multiply(reached_one)
    return {
        "linked_confirmed_1hop": _count_without_self(one_full, seeds, n),
        "linked_confirmed_2hop": _count_without_self(exactly_two, seeds, n),
        "ppr_confirmed": personalised_pagerank(a, seeds),
        "linked_confirmed_people": _count_without_self(by_people, seeds, n),
    }


def personalised_pagerank(a: sp.csr_matrix, seeds: np.ndarray) -> np.ndarray:
    """PageRank with restarts at the seeds on the bipartite graph, times the number of companies.

    Mass alternates company → entity → company; companies without links send theirs back to the seeds.
    A company that is itself a seed scores 0, so no company is near a case only because it is the case.
    """
    n = a.shape[0]
    restart = np.zeros(n)
    restart[seeds] = 1.0 / len(seeds)
    out_deg = np.asarray(a.sum(axis=1)).ravel()
    in_deg = np.asarray(a.sum(axis=0)).ravel()
    to_entity = sp.diags(1.0 / np.maximum(out_deg, 1.0)) @ a  # row-stochastic over linked companies
    to_company = (a @ sp.diags(1.0 / np.maximum(in_deg, 1.0))).T.tocsr()
    dangling = out_deg == 0
    x = restart.copy()
    for _ in range(ITERATIONS):
        entity_mass = to_entity.T @ x
        company_mass = to_company.T @ entity_mass
        lost = x[dangling].sum()
        x = (1 - DAMPING) * restart + DAMPING * (company_mass + lost * restart)
    # A seed's own score is mostly its own restart mass and walks that come straight back through its own
    # director or address: its case, not its proximity to others. Seeds get 0; their links to *other* cases
    # still show in the 1- and 2-hop counts. (An exact leave-one-out PageRank per seed is future work.)
    x[seeds] = 0.0
    return np.asarray(np.maximum(x, 0.0) * n, dtype=np.float64)


__all__ = ["circle", "incidence", "network", "personalised_pagerank"]
