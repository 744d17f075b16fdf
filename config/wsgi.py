import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()

# What is loaded by now (Django, the apps and their modules) lives as long as the worker. Moved out
# of the collector's generations, it is no longer walked by every full collection, which otherwise
# stalls a request for tens of milliseconds now and then.
gc.freeze()
