import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shoumen.settings")
application = get_wsgi_application()

# The gate's hot path (a phone registering a scanned pass) skips the middleware stack; every
# other request, and every unusual scan, goes to Django as usual. See gate/entries/fastlane.py.
from shoumen.gate.entries.fastlane import GateFastLane  # noqa: E402

application = GateFastLane(application)

# What is loaded by now lives as long as the worker: keep it out of the garbage collector's
# passes, which otherwise walk every module, model and URL pattern again and again.
gc.freeze()
