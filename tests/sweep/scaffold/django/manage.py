#!/usr/bin/env python
"""manage.py of a sweep Django history: `python manage.py migrate` (cwd = project)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
from django.core.management import execute_from_command_line  # noqa: E402

execute_from_command_line(sys.argv)
