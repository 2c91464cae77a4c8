"""The lab: a local web app where learners build, step, practise and train, live.

    chainrule lab                 # starts the server on 127.0.0.1, prints its URL, opens the page

Needs the ``lab`` extra (``pip install -e ".[lab]"``): Starlette, uvicorn and websockets.
Nothing here is imported by ``import nn``.
"""
