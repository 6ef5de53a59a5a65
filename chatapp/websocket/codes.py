"""Close codes and scope extension names of the websocket core, defined once."""

# Close codes in the 4000 range. The client runtime (websocket.js) does not reconnect
# after CLOSE_LOGGED_OUT and CLOSE_PERMISSION_DENIED; after the others it does, later.
CLOSE_LOGGED_OUT = 4401
CLOSE_PERMISSION_DENIED = 4403
CLOSE_TOO_MANY_CONNECTIONS = 4429
# Closed because it fell too far behind (its inbox overflowed, or it did not take what
# was sent): the client reconnects and catches up, so one slow client never holds up
# the others or the server's memory.
CLOSE_TOO_SLOW = 4008
# What disconnect() gets when the socket ended without a close (the consumer failed).
CLOSE_ABNORMAL = 1006

# The ASGI scope extension the servers add (chatapp/serve.py for daphne,
# chatapp/uvicorn_ws.py for uvicorn): {"unsent": callable} gives the bytes sent to the
# socket that the client has not taken yet, {"too_slow": callable} whether the server
# closed it (4008) for not taking them.
WRITE_BUFFER_EXTENSION = "chatapp.write_buffer"
