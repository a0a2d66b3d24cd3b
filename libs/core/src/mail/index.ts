export * from './mail.config';
