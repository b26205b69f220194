"""Rasa 3.6 as an optional NLU server: project writing, its venv, the server process.

Rasa runs in its own Python 3.10 environment (it cannot share ours); nothing here
imports it. :mod:`bot.rasa.project` writes a Rasa project from a content folder,
:mod:`bot.rasa.venv` creates the environment, :mod:`bot.rasa.server` trains and
runs ``rasa run --enable-api``. The bot's side is :mod:`bot.nlu.rasa`.
"""
