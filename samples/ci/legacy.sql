-- The sample's legacy database (MariaDB/MySQL): what the workflow's "Load the sample legacy data" step loads.
-- Non-ASCII names, a NULL, an empty string, exact decimals and a DATETIME that no time zone may shift.
CREATE TABLE customers (
  id INT PRIMARY KEY,
  first_name VARCHAR(50),
  last_name VARCHAR(50) NOT NULL,
  email VARCHAR(200),
  status_code CHAR(1),
  country CHAR(2)
) CHARACTER SET utf8mb4;

INSERT INTO customers VALUES
  (1, 'Jürgen', 'Müller', 'juergen.mueller@example.com', 'A', 'DE'),
  (2, 'Zoë', 'Ødegård', 'zoe@example.no', 'I', 'NO'),
  (3, 'José', 'Núñez', NULL, 'A', NULL),
  (4, NULL, 'Łukasiewicz', '', 'X', 'PL'),
  (5, 'Ada', 'Lovelace', 'ada@example.org', 'A', 'GB');

CREATE TABLE orders (
  id INT PRIMARY KEY,
  customer_id INT NOT NULL,
  total DECIMAL(12,2) NOT NULL,
  ordered_at DATETIME NOT NULL
) CHARACTER SET utf8mb4;

INSERT INTO orders VALUES
  (100, 1, 1234567890.12, '2024-03-31 02:30:00'),
  (101, 1, 0.10, '2024-10-27 02:30:00'),
  (102, 2, 99.99, '1999-12-31 23:59:59'),
  (103, 5, 0.00, '2025-01-01 00:00:00');
