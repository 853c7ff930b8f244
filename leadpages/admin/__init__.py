"""The staff workspace under /admin/: partners, projects, campaigns, results and privacy screens.

`blueprint.py` holds the blueprint and what every page shares; each part of the workspace has a
module of its own views (`account`, `partners`, `projects`, `campaigns`, `leads`, `privacy`,
...), all on that one blueprint. `views.py` imports them all, so registering `views.bp` serves
every page.
"""
