"""Recurring duties and their compliance: the one engine every module's "this needs doing
this often" runs on (inspections, disinfection and patrols, later resumption's supervision
visits, workers' twice-daily checks, the 14-day home observation, work orders)."""
