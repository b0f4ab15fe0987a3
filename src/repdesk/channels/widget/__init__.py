"""The embeddable web chat widget: settings, visitor tokens, realtime gateway, uploads, voice."""
