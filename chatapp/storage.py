from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files, with `import "./x.js"` rewritten to the hashed
    name so that every page shares one instance of the websocket runtime module."""

    support_js_module_import_aggregation = True
    # Each pass settles one more level of imports: the chat page's modules import each
    # other up to about seven deep (chat.js → navigation.js → sidebar.js → …), past
    # Django's default of 5 passes.
    max_post_process_passes = 20
