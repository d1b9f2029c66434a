DROP TABLE webhook_deliveries;
DROP TABLE webhook_dispatch;
DROP TABLE webhook_subscriptions;
DROP TABLE eligibility_states;
DROP TABLE changes;
