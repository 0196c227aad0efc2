// n8n-core keeps settings in a user folder; tests use one inside the project, not the home folder.
const path = require('node:path');
process.env.N8N_USER_FOLDER ??= path.join(__dirname, '..', '..', '.cache', 'n8n-test');
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS ??= 'false';
