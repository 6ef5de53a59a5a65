from chatapp.websocket import autoconsumers

websocket_urlpatterns = autoconsumers(__name__)
