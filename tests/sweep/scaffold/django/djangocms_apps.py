# django-cms 4.1.4: cms + menus and the apps its migrations depend on.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "treebeard",
    "cms",
    "menus",
]
LANGUAGES = [("en", "English")]
LANGUAGE_CODE = "en"
CMS_CONFIRM_VERSION4 = True
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
