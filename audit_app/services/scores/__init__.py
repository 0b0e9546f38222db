"""The score read side: what area managers and head office read of the scores stored at submit time.

Every figure comes from the stored scores (`storage`): overall percents from `VisitScore` (current rows), section
percents from `SectionScore`, per-question detail from the stored explained card. Nothing is re-scored, except by
`rescoring`, which says so. Rollups across visits are the mean of visit percents (each visit counts once), exact
until display (`scoring.mean`, `scoring.competition_ranks`). Only visits in `storage.counted_statuses` count.

    scope       periods, the stores a page covers, the checklists it can show
    facts       counted visits with their stored scores, the queries every page is built from
    dashboard   an area's or region's stores side by side
    store_page  one store against its area; kpis: its customer KPIs
    visit_page  one visit's explained card
    compare     a few stores side by side
    home        the manager home page: every area and store at a glance
    rescoring   what a rubric version would do to the scores (what-if), and re-scoring history under it
    scorecard   one store's PDF scorecard
"""
