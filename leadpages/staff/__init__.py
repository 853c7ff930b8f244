"""Operator staff: admins, marketers and the privacy officer, who work in /admin/."""
