"""Channel adapters: translate platform updates to ``Inbound`` and render actions.

Only modules in this package (and the desks in ``bot.handoff``) may import a
platform library.
"""
