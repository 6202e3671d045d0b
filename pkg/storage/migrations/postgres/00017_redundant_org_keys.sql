-- +goose Up
-- Purchases, contacts and feedback reference their customer by (org_id, customer_id), and the
-- customer references the organization: their own key to organizations checked nothing more. It
-- cost a lookup and a share lock on the organization's row per inserted row, and every writing
-- transaction of an organization took that same lock (multixacts under concurrent writes).
ALTER TABLE purchases DROP CONSTRAINT purchases_org_id_fkey;
ALTER TABLE contacts DROP CONSTRAINT contacts_org_id_fkey;
ALTER TABLE feedback DROP CONSTRAINT feedback_org_id_fkey;

-- +goose Down
ALTER TABLE purchases ADD CONSTRAINT purchases_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id);
ALTER TABLE contacts ADD CONSTRAINT contacts_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id);
ALTER TABLE feedback ADD CONSTRAINT feedback_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id);
