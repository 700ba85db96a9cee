"""The OpenAPI shapes of the `transit` block (geosvc/transit/answer.py): TER travel time to one's own
mission locale, walking or biking to the stops, with the timetable and the method it comes from."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Float, Integer, List, Nested, String

CLOCK = {"description": "HH:MM on the service day (Europe/Paris)", "example": "08:12"}


class TransitLegOut(Schema):
    line = String(required=True, metadata={"description": "the TER line as SNCF names it (route short name)",
                                           "example": "K44"})
    from_ = String(required=True, data_key="from", metadata={"description": "boarding stop's name"})
    to = String(required=True, metadata={"description": "alighting stop's name"})
    departure = String(required=True, metadata=CLOCK)
    arrival = String(required=True, metadata=CLOCK)


class TransitSiteOut(Schema):
    id = String(required=True, metadata={"description": "the site reached first (one of the own mission locale's)"})
    name = String(required=True, allow_none=True)


class TransitJourneyOut(Schema):
    minutes = Integer(required=True, metadata={"description": "from the method's departure time (08:00) to the "
                                                              "arrival at the site, rounded up"})
    kind = String(required=True, metadata={"description": "`transit`, or `direct`: walking (biking) straight to "
                                                          "the site is quickest"})
    leave = String(required=True, metadata={"description": "when to leave the commune's reference point, "
                                                           "HH:MM (rounded down)"})
    departure = String(required=True, metadata={"description": "the first train or coach's departure (the leave "
                                                               "time of a direct trip)", "example": "08:12"})
    arrival = String(required=True, metadata={"description": "at the site, HH:MM (rounded up)", "example": "08:47"})
    access_minutes = Integer(required=True, metadata={"description": "walking (biking) to the first stop"})
    egress_minutes = Integer(required=True, metadata={"description": "from the last stop to the site"})
    legs = List(Nested(TransitLegOut), required=True, metadata={"description": "empty for a direct trip"})
    site = Nested(TransitSiteOut, required=True)


class TransitTimetableOut(Schema):
    file = String(required=True, metadata={"example": "sources/gtfs/sncf_ter_gtfs_2025-01-22.zip"})
    feed_version = String(required=True, allow_none=True, metadata={"example": "2025-01-22"})
    service_date = String(required=True, metadata={"description": "the day routed (a school-term weekday)",
                                                   "example": "2025-02-04"})
    weekday = String(required=True, metadata={"example": "Tuesday"})
    attribution = String(required=True, metadata={"description": "to show with any time (ODbL: attribute SNCF)"})
    licence = String(required=True)


class TransitModeMethodOut(Schema):
    kmh = Float(required=True)
    max_m = Float(required=True, metadata={"description": "the longest straight-line access, egress or direct trip"})


class TransitMethodOut(Schema):
    leave = String(required=True, metadata={"example": "08:00"})
    no_trip_after = String(required=True, metadata={"example": "14:00"})
    walk = Nested(TransitModeMethodOut, required=True)
    bike = Nested(TransitModeMethodOut, required=True)
    detour = Float(required=True, metadata={"description": "straight-line distances are multiplied by it"})
    change_same_stop_minutes = Float(required=True)
    change_same_station_minutes = Float(required=True)
    change_on_foot_max_m = Float(required=True)
    description = String(required=True)
    includes = String(required=True)
    excludes = String(required=True)


class TransitOut(Schema):
    walk = Nested(TransitJourneyOut, required=True, allow_none=True, metadata={
        "description": "walking to and from the stops; null: no trip arrives before the method's cutoff"})
    bike = Nested(TransitJourneyOut, required=True, allow_none=True, metadata={
        "description": "biking to and from the stops; null: no trip arrives before the method's cutoff"})
    target = String(required=True, metadata={"description": "`own`: any served site of the own mission locale"})
    timetable = Nested(TransitTimetableOut, required=True)
    method = Nested(TransitMethodOut, required=True)
