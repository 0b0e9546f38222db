"""Translated wording handed to the score card views, the PDF and the CSV (plain strings, picklable)."""

from __future__ import annotations

from flask_babel import gettext as _


def report_labels() -> dict[str, str]:
    return {
        "yes": _("Yes"),
        "no": _("No"),
        "na": _("N/A"),
        "unanswered": _("Not answered"),
        "seconds": _("{n} s"),
        "scale": _("{value} (scale {min}–{max})"),
        "photo_answer": _("Photo attached"),
        "excluded.na": _("Not applicable: counts in neither earned nor possible"),
        "excluded.hidden": _("Not asked: hidden by an earlier answer"),
        "excluded.unscored": _("Not scored: recorded for information"),
        "excluded.zero_weight": _("Carries no points"),
        "excluded.unanswered": _("Optional and not answered"),
        "effect.zero_section": _("Critical failure: the section scores 0"),
        "effect.zero_visit": _("Critical failure: the visit scores 0"),
        "effect.cap": _("Critical failure: the visit is capped at {cap}%"),
        "points": _("{earned} of {possible}"),
        "section_zeroed": _("Set to 0 by a critical failure"),
        "good_is_no": _("“No” is the good answer here."),
        "store": _("Store"),
        "area": _("Area"),
        "region": _("Region"),
        "period": _("Period"),
        "generated": _("Generated"),
        "overall": _("Overall score"),
        "grade": _("Grade"),
        "change_since_previous": _("Change since the previous visit"),
        "area_average": _("Area average"),
        "rank_in_area": _("Rank in area"),
        "rank_value": _("{rank} of {count}"),
        "visits_in_period": _("Visits in the period"),
        "period_mean": _("This store's period mean"),
        "critical_in_period": _("Critical failures in the period"),
        "latest_visit_failures": _("Critical failures in the latest visit"),
        "grade_key": _("Colours follow the checklist's grades:"),
        "latest_visit": _("Latest visit"),
        "sections_vs_area": _("Sections against the area average"),
        "trend": _("Visit scores over time"),
        "this_store": _("This store"),
        "area_monthly_mean": _("Area (monthly mean)"),
        "question": _("Question"),
        "answer": _("Answer"),
        "points_heading": _("Points"),
        "critical_failures": _("Critical failures"),
        "no_critical_failures": _("No critical failures."),
        "comments": _("Comments"),
        "photos": _("Photos"),
        "rubric_version": _("Checklist version"),
        "page": _("Page"),
        "of": _("of"),
        "averaging": _("Averages are the mean of visit percents; each visit counts once."),
        "no_visits": _("No counted visits in this period."),
        "kpis": _("Customer KPIs"),
        "actions": _("Corrective actions"),
        "action": _("Corrective action"),
        "action_priority": _("Priority"),
        "action_status": _("Status"),
        "action_due": _("Due by"),
        "action_assignee": _("Assigned to"),
        "action_nobody": _("Nobody yet"),
        "action_overdue": _("Overdue"),
        "action_due_soon": _("Due soon"),
        "priority.low": _("Low"), "priority.medium": _("Medium"), "priority.high": _("High"),
        "priority.critical": _("Critical"),
        "action_status.open": _("Open"), "action_status.in_progress": _("In progress"),
        "action_status.resolved": _("Resolved"), "action_status.closed": _("Closed"),
        "action_status.reopened": _("Reopened"),
        "comment_on": _("On “{question}”"),
        "kpi_response": _("{n} answer"),
        "kpi_responses": _("{n} answers"),
        "kpi_margin": _("± {m}"),
        "provisional": _("provisional"),
        "kpi_explain": _("Each KPI shows its number of answers and, where one can be given, its margin "
                         "(95%, ±): for NPS the margin of error, 1.96 standard errors of the answers counted as +1 "
                         "(promoter), 0 or −1 (detractor); for CSAT and other shares a Wilson score interval; for "
                         "means a t-interval. A 90th percentile has no margin. Fewer answers than the minimum "
                         "number of visits make a KPI provisional."),
        "interval_label": _("Interval (95%)"),
        "interval_range": _("{label}: {low}–{high}%"),
        "interval_explain": _("The confidence interval (95%) of the period mean is a t-interval: the mean plus or minus "
                              "Student's t for the number of visits times the standard error (the spread of the "
                              "visit scores divided by the square root of the number of visits). A mean from "
                              "fewer visits than the minimum head office sets is provisional, and so is its rank. "
                              "A change since the previous visit no larger than two visits of the store differ by "
                              "chance reads “within noise”: it may be chance, not a real movement."),
        "one_visit": _("one visit: no interval"),
        "change_within_noise": _("{change} (within noise)"),
        "kpi_target": _("target {n} s"),
        "kpi.nps": _("NPS"),
        "kpi.csat": _("CSAT (satisfied)"),
        "kpi.ces": _("Customer effort (mean)"),
        "kpi.queue_wait_mean": _("Checkout wait (mean)"),
        "kpi.queue_wait_p90": _("Checkout wait (90th percentile)"),
        "kpi.hold_time_mean": _("Phone hold (mean)"),
        "kpi.hold_time_p90": _("Phone hold (90th percentile)"),
        "kpi.response_time_mean": _("Response time (mean)"),
        "kpi.response_time_p90": _("Response time (90th percentile)"),
        "kpi.greeting_within_target": _("Greeted within target"),
        "kpi.fcr": _("Resolved on first contact"),
        "status.draft": _("Draft"),
        "status.submitted": _("Submitted"),
        "status.approved": _("Approved"),
        "status.returned": _("Returned to shopper"),
        "status.voided": _("Voided"),
    }


def csv_headers() -> dict[str, str]:
    return {
        "visit": _("Visit"), "store_code": _("Store code"), "store": _("Store"), "area": _("Area"),
        "region": _("Region"), "shopper": _("Shopper"), "started_at": _("Started (store's local time)"),
        "submitted_at": _("Submitted (store's local time)"), "timezone": _("Store's time zone"), "status": _("Status"), "checklist": _("Checklist"),
        "version": _("Version"), "overall": _("Overall %"), "grade": _("Grade"),
        "critical_failures": _("Critical failures"), "section": _("Section %"),
    }
