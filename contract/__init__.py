"""What gateways and the hub share: the wire contract, the MQTT client set-up
(builder, subscriber, the paho adapter), retry and configuration errors.

In the base install (pydantic, PyYAML and paho-mqtt only), so a gateway needs
nothing of the hub and the hub nothing of the gateway agent (`edge/`)."""
