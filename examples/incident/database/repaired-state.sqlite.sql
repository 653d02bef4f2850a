PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version VALUES('018_add_notifications');
CREATE TABLE users (
	id INTEGER NOT NULL, 
	email VARCHAR(255) NOT NULL, 
	hashed_password VARCHAR(255) NOT NULL, 
	first_name VARCHAR(100), 
	last_name VARCHAR(100), 
	phone VARCHAR(30), 
	is_active BOOLEAN DEFAULT 1 NOT NULL, 
	is_superadmin BOOLEAN DEFAULT 0 NOT NULL, 
	last_login_at DATETIME, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, avatar_url VARCHAR(500), 
	PRIMARY KEY (id)
);
CREATE TABLE roles (
	id INTEGER NOT NULL, 
	name VARCHAR(50) NOT NULL, 
	description TEXT, 
	is_system BOOLEAN DEFAULT 0 NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_roles_name UNIQUE (name)
);
CREATE TABLE role_permissions (
	id INTEGER NOT NULL, 
	role_id INTEGER NOT NULL, 
	permission VARCHAR(100) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_role_permissions_role_id FOREIGN KEY(role_id) REFERENCES roles (id) ON DELETE CASCADE, 
	CONSTRAINT uq_role_permissions_role_permission UNIQUE (role_id, permission)
);
CREATE TABLE organizations (
	id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	slug VARCHAR(100) NOT NULL, 
	owner_id INTEGER, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(owner_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE IF NOT EXISTS "business_users" (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	role_id INTEGER, 
	is_primary BOOLEAN DEFAULT 0 NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, pin_code_hash VARCHAR(255), hourly_rate NUMERIC(12, 2), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_business_members_business_id FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	CONSTRAINT fk_business_members_user_id FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_business_members_business_user UNIQUE (business_id, user_id), 
	CONSTRAINT fk_business_members_role_id FOREIGN KEY(role_id) REFERENCES roles (id) ON DELETE SET NULL
);
CREATE TABLE subscription_tiers (
	id INTEGER NOT NULL, 
	name VARCHAR(50) NOT NULL, 
	slug VARCHAR(50) NOT NULL, 
	price_monthly NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	price_yearly NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	currency VARCHAR(3) DEFAULT 'INR' NOT NULL, 
	max_users INTEGER DEFAULT '1' NOT NULL, 
	max_businesses INTEGER DEFAULT '1' NOT NULL, 
	features JSON, 
	is_active BOOLEAN DEFAULT 1 NOT NULL, 
	sort_order INTEGER DEFAULT '0' NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_subscription_tiers_slug UNIQUE (slug)
);
CREATE TABLE subscription_transactions (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	tier_id INTEGER NOT NULL, 
	amount NUMERIC(12, 2) NOT NULL, 
	currency VARCHAR(3) DEFAULT 'INR' NOT NULL, 
	status VARCHAR(9) DEFAULT 'pending' NOT NULL, 
	provider VARCHAR(50), 
	provider_reference VARCHAR(255), 
	period_start DATETIME, 
	period_end DATETIME, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(tier_id) REFERENCES subscription_tiers (id) ON DELETE RESTRICT
);
CREATE TABLE IF NOT EXISTS "businesses" (
	id INTEGER NOT NULL, 
	organization_id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	slug VARCHAR(100) NOT NULL, 
	currency VARCHAR(3) DEFAULT 'INR' NOT NULL, 
	timezone VARCHAR(64) DEFAULT 'Asia/Kolkata' NOT NULL, 
	tax_number VARCHAR(50), 
	address TEXT, 
	phone VARCHAR(30), 
	email VARCHAR(255), 
	logo_url VARCHAR(500), 
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	updated_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	subscription_tier_id INTEGER, 
	subscription_status VARCHAR(20) DEFAULT 'trial' NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_businesses_organization_id FOREIGN KEY(organization_id) REFERENCES organizations (id) ON DELETE CASCADE, 
	CONSTRAINT fk_businesses_subscription_tier_id FOREIGN KEY(subscription_tier_id) REFERENCES subscription_tiers (id) ON DELETE SET NULL
);
CREATE TABLE user_settings (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	theme VARCHAR(20) DEFAULT 'system' NOT NULL, 
	language VARCHAR(10) DEFAULT 'en' NOT NULL, 
	timezone VARCHAR(64), 
	notifications_enabled BOOLEAN DEFAULT 1 NOT NULL, 
	email_notifications BOOLEAN DEFAULT 1 NOT NULL, 
	preferences JSON, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_user_settings_user_id FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_user_settings_user_id UNIQUE (user_id)
);
CREATE TABLE product_categories (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	parent_id INTEGER, 
	name VARCHAR(100) NOT NULL, 
	description TEXT, 
	sort_order INTEGER DEFAULT '0' NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(parent_id) REFERENCES product_categories (id) ON DELETE SET NULL
);
CREATE TABLE suppliers (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	contact_name VARCHAR(100), 
	email VARCHAR(255), 
	phone VARCHAR(30), 
	address TEXT, 
	tax_number VARCHAR(50), 
	payment_terms VARCHAR(50), 
	notes TEXT, 
	is_active BOOLEAN DEFAULT 1 NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE
);
CREATE TABLE inventory_transactions (
	id INTEGER NOT NULL, 
	inventory_item_id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	transaction_type VARCHAR(10) NOT NULL, 
	quantity_change NUMERIC(12, 3) NOT NULL, 
	unit_cost NUMERIC(12, 2), 
	reference_type VARCHAR(50), 
	reference_id INTEGER, 
	notes TEXT, 
	created_by_id INTEGER, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(inventory_item_id) REFERENCES inventory_items (id) ON DELETE CASCADE, 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(created_by_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE order_items (
	id INTEGER NOT NULL, 
	order_id INTEGER NOT NULL, 
	product_id INTEGER, 
	description VARCHAR(255), 
	quantity NUMERIC(12, 3) NOT NULL, 
	unit_price NUMERIC(12, 2) NOT NULL, 
	discount NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	tax_amount NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	line_total NUMERIC(12, 2) NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(order_id) REFERENCES orders (id) ON DELETE CASCADE, 
	FOREIGN KEY(product_id) REFERENCES products (id) ON DELETE SET NULL
);
CREATE TABLE invoices (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	customer_id INTEGER, 
	order_id INTEGER, 
	invoice_number VARCHAR(50) NOT NULL, 
	status VARCHAR(14) DEFAULT 'draft' NOT NULL, 
	issue_date DATE NOT NULL, 
	due_date DATE, 
	subtotal NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	tax_amount NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	total NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	amount_paid NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	currency VARCHAR(3) DEFAULT 'INR' NOT NULL, 
	notes TEXT, 
	pdf_url VARCHAR(500), 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE SET NULL, 
	FOREIGN KEY(order_id) REFERENCES orders (id) ON DELETE SET NULL, 
	CONSTRAINT uq_invoices_business_invoice_number UNIQUE (business_id, invoice_number)
);
CREATE TABLE invoice_items (
	id INTEGER NOT NULL, 
	invoice_id INTEGER NOT NULL, 
	product_id INTEGER, 
	description VARCHAR(255) NOT NULL, 
	quantity NUMERIC(12, 3) NOT NULL, 
	unit_price NUMERIC(12, 2) NOT NULL, 
	tax_rate NUMERIC(5, 2) DEFAULT '0' NOT NULL, 
	line_total NUMERIC(12, 2) NOT NULL, 
	sort_order INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(invoice_id) REFERENCES invoices (id) ON DELETE CASCADE, 
	FOREIGN KEY(product_id) REFERENCES products (id) ON DELETE SET NULL
);
CREATE TABLE payments (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	invoice_id INTEGER, 
	order_id INTEGER, 
	customer_id INTEGER, 
	amount NUMERIC(12, 2) NOT NULL, 
	currency VARCHAR(3) DEFAULT 'INR' NOT NULL, 
	method VARCHAR(13) NOT NULL, 
	status VARCHAR(9) DEFAULT 'completed' NOT NULL, 
	reference VARCHAR(255), 
	notes TEXT, 
	paid_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(invoice_id) REFERENCES invoices (id) ON DELETE SET NULL, 
	FOREIGN KEY(order_id) REFERENCES orders (id) ON DELETE SET NULL, 
	FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE SET NULL
);
CREATE TABLE product_ingredients (
	id INTEGER NOT NULL, 
	product_id INTEGER NOT NULL, 
	inventory_item_id INTEGER NOT NULL, 
	quantity NUMERIC(12, 3) NOT NULL, 
	unit VARCHAR(20), 
	notes TEXT, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(product_id) REFERENCES products (id) ON DELETE CASCADE, 
	FOREIGN KEY(inventory_item_id) REFERENCES inventory_items (id) ON DELETE RESTRICT, 
	CONSTRAINT uq_product_ingredients_product_item UNIQUE (product_id, inventory_item_id)
);
CREATE TABLE IF NOT EXISTS "products" (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	category_id INTEGER, 
	name VARCHAR(200) NOT NULL, 
	sku VARCHAR(64), 
	barcode VARCHAR(64), 
	description TEXT, 
	selling_price NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	cost_price NUMERIC(12, 2), 
	tax_rate NUMERIC(5, 2) DEFAULT '0' NOT NULL, 
	unit VARCHAR(20) DEFAULT 'each' NOT NULL, 
	is_active BOOLEAN DEFAULT 1 NOT NULL, 
	track_inventory BOOLEAN DEFAULT 1 NOT NULL, 
	image_url VARCHAR(500), 
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	updated_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	is_manufactured BOOLEAN DEFAULT 0 NOT NULL, 
	preparation_minutes INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_products_business_sku UNIQUE (business_id, sku), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(category_id) REFERENCES product_categories (id) ON DELETE SET NULL
);
CREATE TABLE production_orders (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	product_id INTEGER NOT NULL, 
	reference VARCHAR(50) NOT NULL, 
	status VARCHAR(11) DEFAULT 'planned' NOT NULL, 
	quantity_planned NUMERIC(12, 3) NOT NULL, 
	quantity_produced NUMERIC(12, 3) DEFAULT '0' NOT NULL, 
	scheduled_for DATETIME, 
	started_at DATETIME, 
	completed_at DATETIME, 
	notes TEXT, 
	created_by_id INTEGER, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, labor_minutes INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(product_id) REFERENCES products (id) ON DELETE RESTRICT, 
	FOREIGN KEY(created_by_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE TABLE production_order_items (
	id INTEGER NOT NULL, 
	production_order_id INTEGER NOT NULL, 
	inventory_item_id INTEGER NOT NULL, 
	quantity_required NUMERIC(12, 3) NOT NULL, 
	quantity_used NUMERIC(12, 3), 
	unit_cost NUMERIC(12, 2), 
	PRIMARY KEY (id), 
	FOREIGN KEY(production_order_id) REFERENCES production_orders (id) ON DELETE CASCADE, 
	FOREIGN KEY(inventory_item_id) REFERENCES inventory_items (id) ON DELETE RESTRICT
);
CREATE TABLE ai_conversations (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	business_id INTEGER, 
	title VARCHAR(255), 
	model VARCHAR(100), 
	context JSON, 
	is_archived BOOLEAN DEFAULT 0 NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	updated_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE
);
CREATE TABLE ai_messages (
	id INTEGER NOT NULL, 
	conversation_id INTEGER NOT NULL, 
	role VARCHAR(9) NOT NULL, 
	content TEXT NOT NULL, 
	tokens_used INTEGER, 
	extra_data JSON, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(conversation_id) REFERENCES ai_conversations (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "inventory_items" (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	product_id INTEGER, 
	supplier_id INTEGER, 
	name VARCHAR(200) NOT NULL, 
	sku VARCHAR(64), 
	unit VARCHAR(20) DEFAULT 'unit' NOT NULL, 
	quantity_on_hand NUMERIC(12, 3) DEFAULT '0' NOT NULL, 
	unit_cost NUMERIC(12, 2), 
	reorder_point NUMERIC(12, 3) DEFAULT '0' NOT NULL, 
	location VARCHAR(100), 
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	updated_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	par_level NUMERIC(12, 3), 
	reorder_quantity NUMERIC(12, 3), 
	PRIMARY KEY (id), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(product_id) REFERENCES products (id) ON DELETE SET NULL, 
	FOREIGN KEY(supplier_id) REFERENCES suppliers (id) ON DELETE SET NULL
);
CREATE TABLE IF NOT EXISTS "customers" (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	first_name VARCHAR(100), 
	last_name VARCHAR(100), 
	company_name VARCHAR(200), 
	email VARCHAR(255), 
	phone VARCHAR(30), 
	address TEXT, 
	tax_number VARCHAR(50), 
	loyalty_points INTEGER DEFAULT '0' NOT NULL, 
	total_spent NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	notes TEXT, 
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	updated_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_customers_business_email UNIQUE (business_id, email), 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "orders" (
	id INTEGER NOT NULL, 
	business_id INTEGER NOT NULL, 
	customer_id INTEGER, 
	order_number VARCHAR(50) NOT NULL, 
	status VARCHAR(10) DEFAULT 'pending' NOT NULL, 
	subtotal NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	tax_amount NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	discount_amount NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	total NUMERIC(12, 2) DEFAULT '0' NOT NULL, 
	currency VARCHAR(3) DEFAULT 'INR' NOT NULL, 
	notes TEXT, 
	created_by_id INTEGER, 
	ordered_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	updated_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, 
	order_source VARCHAR(11) DEFAULT 'online' NOT NULL, 
	pos_terminal_id VARCHAR(50), 
	table_number VARCHAR(20), 
	served_by_id INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_orders_business_order_number UNIQUE (business_id, order_number), 
	CONSTRAINT fk_orders_served_by_id FOREIGN KEY(served_by_id) REFERENCES users (id) ON DELETE SET NULL, 
	FOREIGN KEY(created_by_id) REFERENCES users (id) ON DELETE SET NULL, 
	FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	FOREIGN KEY(customer_id) REFERENCES customers (id) ON DELETE SET NULL
);
CREATE TABLE sessions (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	refresh_token_hash VARCHAR(255) NOT NULL, 
	device_name VARCHAR(255), 
	device_type VARCHAR(50), 
	browser VARCHAR(100), 
	os VARCHAR(100), 
	ip_address VARCHAR(45), 
	user_agent TEXT, 
	location VARCHAR(255), 
	is_active BOOLEAN DEFAULT 1 NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	last_active_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	expires_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_sessions_user_id FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE notifications (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	business_id INTEGER, 
	sender_business_id INTEGER, 
	notification_type VARCHAR(50) NOT NULL, 
	title VARCHAR(255) NOT NULL, 
	message TEXT NOT NULL, 
	priority VARCHAR(20) DEFAULT 'normal' NOT NULL, 
	is_read BOOLEAN DEFAULT 0 NOT NULL, 
	read_at DATETIME, 
	action_url VARCHAR(500), 
	reference_type VARCHAR(50), 
	reference_id INTEGER, 
	extra_data JSON, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	expires_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_notifications_user_id FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT fk_notifications_business_id FOREIGN KEY(business_id) REFERENCES businesses (id) ON DELETE CASCADE, 
	CONSTRAINT fk_notifications_sender_business_id FOREIGN KEY(sender_business_id) REFERENCES businesses (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE INDEX ix_role_permissions_role_id ON role_permissions (role_id);
CREATE UNIQUE INDEX ix_organizations_slug ON organizations (slug);
CREATE INDEX ix_subscription_transactions_business_id ON subscription_transactions (business_id);
CREATE INDEX ix_subscription_transactions_status ON subscription_transactions (status);
CREATE INDEX ix_businesses_organization_id ON businesses (organization_id);
CREATE UNIQUE INDEX ix_businesses_slug ON businesses (slug);
CREATE INDEX ix_businesses_subscription_tier_id ON businesses (subscription_tier_id);
CREATE INDEX ix_product_categories_business_id ON product_categories (business_id);
CREATE INDEX ix_suppliers_business_id ON suppliers (business_id);
CREATE INDEX ix_inventory_transactions_inventory_item_id ON inventory_transactions (inventory_item_id);
CREATE INDEX ix_inventory_transactions_created_at ON inventory_transactions (created_at);
CREATE INDEX ix_order_items_order_id ON order_items (order_id);
CREATE INDEX ix_invoices_business_id ON invoices (business_id);
CREATE INDEX ix_invoices_customer_id ON invoices (customer_id);
CREATE INDEX ix_invoices_status ON invoices (status);
CREATE INDEX ix_invoice_items_invoice_id ON invoice_items (invoice_id);
CREATE INDEX ix_payments_business_id ON payments (business_id);
CREATE INDEX ix_payments_invoice_id ON payments (invoice_id);
CREATE INDEX ix_payments_order_id ON payments (order_id);
CREATE INDEX ix_product_ingredients_product_id ON product_ingredients (product_id);
CREATE INDEX ix_products_category_id ON products (category_id);
CREATE INDEX ix_products_business_id ON products (business_id);
CREATE INDEX ix_production_orders_business_id ON production_orders (business_id);
CREATE INDEX ix_production_orders_status ON production_orders (status);
CREATE INDEX ix_production_order_items_production_order_id ON production_order_items (production_order_id);
CREATE INDEX ix_ai_conversations_user_id ON ai_conversations (user_id);
CREATE INDEX ix_ai_conversations_business_id ON ai_conversations (business_id);
CREATE INDEX ix_ai_messages_conversation_id ON ai_messages (conversation_id);
CREATE INDEX ix_business_users_business_id ON business_users (business_id);
CREATE INDEX ix_business_users_user_id ON business_users (user_id);
CREATE INDEX ix_inventory_items_product_id ON inventory_items (product_id);
CREATE INDEX ix_inventory_items_business_id ON inventory_items (business_id);
CREATE INDEX ix_inventory_items_sku ON inventory_items (sku);
CREATE INDEX ix_customers_business_id ON customers (business_id);
CREATE INDEX ix_customers_email ON customers (email);
CREATE INDEX ix_customers_phone ON customers (phone);
CREATE INDEX ix_products_business_id_barcode ON products (business_id, barcode);
CREATE INDEX ix_orders_status ON orders (status);
CREATE INDEX ix_orders_customer_id ON orders (customer_id);
CREATE INDEX ix_orders_business_id ON orders (business_id);
CREATE INDEX ix_orders_order_source ON orders (order_source);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);
CREATE UNIQUE INDEX ix_sessions_refresh_token_hash ON sessions (refresh_token_hash);
CREATE INDEX ix_notifications_user_id ON notifications (user_id);
CREATE INDEX ix_notifications_business_id ON notifications (business_id);
CREATE INDEX ix_notifications_notification_type ON notifications (notification_type);
CREATE INDEX ix_notifications_created_at ON notifications (created_at);
CREATE INDEX ix_notifications_user_id_is_read ON notifications (user_id, is_read);
COMMIT;
