CREATE TABLE billing.invoices (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
