export const CONFIG = 'GLIDER_CONFIG';
