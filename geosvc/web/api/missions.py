"""Mission sites: the served network, and one site by id."""

from __future__ import annotations

from apiflask import APIBlueprint

from geosvc.core import present
from geosvc.core.errors import NotFound
from geosvc.core.rules import SITE_SERVED
from geosvc.db import sites as sites_sql
from geosvc.provenance import data_block
from geosvc.web.api.schemas import MissionAnswer, MissionList
from geosvc.web.httpcache import cacheable
from geosvc.web.state import nearest_table, read_db

bp = APIBlueprint("missions", __name__, tag="Missions locales")


@bp.get("/missions")
@bp.output(MissionList)
@bp.doc(summary="Every served mission site", responses=[503])
def list_missions():
    # from memory, encoded once per data version: answers while the database is away; public
    # and the same for everybody until the next ingestion, so cacheable like the feeds
    return cacheable(nearest_table().sites_answer)


@bp.get("/missions/<site_id>")
@bp.output(MissionAnswer)
@bp.doc(summary="One served mission site by id", responses=[404, 503])
def get_mission(site_id: str):
    table = nearest_table()
    held = table.site(site_id)
    if held is not None:  # a served site, from memory
        return held | {"data": table.data}
    # not served, or unknown: the database says which
    with read_db().cursor() as cursor:
        site = sites_sql.get_site(cursor, site_id[:200])
        if site is None:
            raise NotFound(f"no mission site has the id {site_id[:200]!r}", code="mission_not_found")
        if site["status"] != SITE_SERVED:
            raise NotFound(
                f"mission site {site_id!r} is not served: {site['status_reason']}",
                code="mission_not_served",
                superseded_by=site["superseded_by"],
            )
        return present.site(site) | {"data": data_block(cursor)}
