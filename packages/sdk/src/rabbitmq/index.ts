export type { RabbitConnectOptions } from './connect.js';
export { connect } from './connect.js';
