<?php

return [
    'default' => env('DB_CONNECTION', 'mysql'),
    'migrations' => [
        'table' => 'migrations',
        'update_date_on_publish' => true,
    ],
];
