"""Reports for admins: ``frontdesk report`` (terminal tables, an HTML page with charts)
and ``frontdesk faq suggest`` (draft FAQ entries from what the bot could not answer).

Modules: :mod:`~bot.report.collect` (read the store, compute the figures),
:mod:`~bot.report.queries`, :mod:`~bot.report.metrics`, :mod:`~bot.report.groups`
(unanswered questions grouped by meaning), :mod:`~bot.report.terminal`,
:mod:`~bot.report.html`, :mod:`~bot.report.suggest` and :mod:`~bot.report.command`
(the CLI). The package itself imports nothing: the CLI builds its parser from
:mod:`~bot.report.command` on every run, which must stay light.
"""
