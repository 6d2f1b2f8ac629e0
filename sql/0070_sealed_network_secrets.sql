-- Payment-network signing secrets are sealed by the application (AES-256-GCM under SECRETS_KEY,
-- bound to account and network) before they are stored. Rows stored earlier in plain text are
-- sealed when next read; NOT VALID lets them stand until then while every new or changed row
-- must be sealed.
alter table payment_network_secrets add constraint payment_network_secrets_sealed
  check (secret like 'sealed:v1:%') not valid;
