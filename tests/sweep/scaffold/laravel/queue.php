<?php

// config/queue.php of the sweep's laravel-framework history: what queue:table,
// queue:failed-table and queue:batches-table read (Laravel 8's defaults).
return [
    'default' => 'database',
    'connections' => [
        'database' => ['driver' => 'database', 'table' => 'jobs', 'queue' => 'default', 'retry_after' => 90],
    ],
    'batching' => ['database' => 'default', 'table' => 'job_batches'],
    'failed' => ['driver' => 'database-uuids', 'database' => 'default', 'table' => 'failed_jobs'],
];
