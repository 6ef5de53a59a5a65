"""Close codes and scope extension names of the websocket core, defined once.

No Django imports: the server wrapper (chatapp/serve.py) reads it before Django is set up.
"""

# Close codes in the 4000 range, which the client runtime does not reconnect after,
# except CLOSE_TOO_SLOW.
CLOSE_LOGGED_OUT = 4401
CLOSE_PERMISSION_DENIED = 4403
CLOSE_TOO_MANY_CONNECTIONS = 4429
# Closed because it fell too far behind (its inbox overflowed, or it did not take what
# was sent): the client reconnects and catches up, so one slow client never holds up
# the others or the server's memory.
CLOSE_TOO_SLOW = 4008
# What disconnect() gets when the socket ended without a close (the consumer failed).
CLOSE_ABNORMAL = 1006

# The ASGI scope extension chatapp/serve.py adds: {"unsent": callable} gives the bytes
# sent to the socket that the client has not taken yet, {"open": callable} whether the
# connection is still open (False once the server closed it for not reading).
WRITE_BUFFER_EXTENSION = "chatapp.write_buffer"
